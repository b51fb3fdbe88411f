/// One training batch of question → answer pairs, time-major and padded with 0.
///
/// The decoder reads `<bos>` + answer and is trained to predict answer + `<eos>`;
/// `mask` is 1 where a target counts.
public struct Seq2SeqBatch: Equatable, Sendable {
    public let batchSize: Int
    public let sourceSteps: Int
    public let targetSteps: Int
    public var source: [Int32]         // [S, B]
    public var sourceLengths: [Int32]  // [B]
    public var decoderInputs: [Int32]  // [T, B]
    public var targets: [Int32]        // [T, B]
    public var mask: [Float]           // [T, B]

    /// From batch-major rows, each padded (or not) to any length; lengths of the sources are
    /// given, targets count where `mask` is 1.
    public init(sources: [[Int32]], sourceLengths: [Int], decoderInputs: [[Int32]], targets: [[Int32]], mask: [[Float]]) {
        let B = sources.count
        precondition(B > 0 && sourceLengths.count == B && decoderInputs.count == B && targets.count == B && mask.count == B)
        batchSize = B
        sourceSteps = max(1, sourceLengths.max()!)
        targetSteps = max(1, decoderInputs.map(\.count).max()!)
        let S = sourceSteps, T = targetSteps
        source = Array(repeating: 0, count: S * B)
        self.decoderInputs = Array(repeating: 0, count: T * B)
        self.targets = Array(repeating: 0, count: T * B)
        self.mask = Array(repeating: 0, count: T * B)
        self.sourceLengths = sourceLengths.map { Int32($0) }
        for b in 0..<B {
            for t in 0..<min(S, sourceLengths[b]) { source[t * B + b] = sources[b][t] }
            for t in 0..<decoderInputs[b].count { self.decoderInputs[t * B + b] = decoderInputs[b][t] }
            for t in 0..<min(T, targets[b].count) {
                self.targets[t * B + b] = targets[b][t]
                self.mask[t * B + b] = mask[b][t]
            }
        }
    }

    /// From token ids: the decoder reads [bos] + answer and predicts answer + [eos].
    public init(questions: [[Int32]], answers: [[Int32]], bos: Int32, eos: Int32) {
        self.init(
            sources: questions, sourceLengths: questions.map(\.count),
            decoderInputs: answers.map { [bos] + $0 }, targets: answers.map { $0 + [eos] },
            mask: answers.map { Array(repeating: 1, count: $0.count + 1) })
    }

    /// The number of target tokens that count in the loss.
    public var targetTokenCount: Int { mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
}
