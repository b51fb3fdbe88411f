/// Cuts encoded question/answer pairs into training batches, a new order every epoch.
///
/// Each epoch: a shuffle seeded by (seed, epoch) alone, so a run stopped and resumed at an epoch
/// sees the same batches; then chunks of `batchesPerChunk` batches are sorted by question +
/// answer length and cut into batches, so rows of a batch are of similar length and little of
/// it is padding; then the batch order is shuffled so that lengths do not rise through the epoch.
/// A batch holds `batchSize` rows, or fewer when they are long: at most `batchSize × rowTokens`
/// tokens with padding. So a long answer (code) is in a batch of a few, and the corpus's long
/// answers get several steps an epoch instead of one or two, each weighing as much as a batch of
/// short ones: the bundled corpus's code is learned in far fewer epochs (docs/learning-quality.md).
/// Inside a batch, rows are ordered by question length, longest first, so the encoder's steps
/// run over fewer rows as questions end (`LSTMLayer.rowsRunning`, PyTorch's
/// `pack_padded_sequence`). Every pair is in exactly one batch per epoch.
///
/// With `wordDropout` > 0, each question word of each epoch's batches is replaced by `<unk>`
/// with that probability (seeded by seed and epoch, so resuming sees the same batches): the
/// model cannot lean on any one word of a question, and learns to answer questions with words
/// it has not seen, as reworded questions have.
public struct Batcher: Sendable {
    public typealias Pair = (question: [Int32], answer: [Int32])

    public static let batchesPerChunk = 50
    /// A batch's tokens (question + answer, padding included) are at most `batchSize` times this,
    /// so that long pairs come in smaller batches and take more steps. On the bundled corpus, 16
    /// learned the code answers faster than 32 (90.6% of coding.yml's questions right at 99.0%
    /// exact match, against 83% at 98.5%; 112 steps an epoch against 86).
    public static let rowTokens = 16

    var tokenBudget: Int { batchSize * Self.rowTokens }

    /// The pairs batched: those given, less any with an empty question or answer.
    public let pairs: [Pair]
    public let batchSize: Int
    public let seed: UInt64
    public let wordDropout: Float
    /// Pairs left out because their question or answer had no tokens: an empty question gives
    /// the encoder nothing to read, and an empty answer teaches only to stop.
    public let droppedEmptyCount: Int

    public init(pairs: [Pair], batchSize: Int, seed: UInt64, wordDropout: Float = 0) {
        precondition(batchSize > 0, "the batch size is at least 1")
        precondition((0..<1).contains(wordDropout), "word dropout is in [0, 1)")
        self.wordDropout = wordDropout
        self.pairs = pairs.filter { !$0.question.isEmpty && !$0.answer.isEmpty }
        self.batchSize = batchSize
        self.seed = seed
        droppedEmptyCount = pairs.count - self.pairs.count
    }

    public func batches(epoch: Int) -> [Seq2SeqBatch] {
        guard wordDropout > 0 else { return batchRows(epoch: epoch).map(batch(rows:)) }
        var generator = Xoshiro256(seed: seed ^ 0x0D20_9D0F ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        return batchRows(epoch: epoch).map { rows in
            let questions = rows.map { row in
                pairs[row].question.map { generator.nextFloat() < wordDropout ? Vocabulary.unknown : $0 }
            }
            return Seq2SeqBatch(questions: questions, answers: rows.map { pairs[$0].answer }, bos: Vocabulary.bos, eos: Vocabulary.eos)
        }
    }

    /// The indices into `pairs` of each batch of `epoch`, in order: `batches(epoch:)` without
    /// building the batches, for callers that make them one at a time.
    public func batchRows(epoch: Int) -> [[Int]] {
        // Mixing the epoch in with a large odd constant keeps nearby seeds and epochs far apart.
        var generator = Xoshiro256(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        var order = Array(pairs.indices)
        order.deterministicShuffle(using: &generator)

        var rows: [[Int]] = []
        let chunkSize = batchSize * Self.batchesPerChunk
        for chunkStart in stride(from: 0, to: order.count, by: chunkSize) {
            let chunk = order[chunkStart..<min(chunkStart + chunkSize, order.count)]
            // Ties keep their shuffled order: a total order, so the sort is the same everywhere.
            let byLength = chunk.stablySorted { length(of: $0) }
            var start = byLength.startIndex
            while start < byLength.endIndex {
                // As many rows as fit in the budget (the longest, last, sets the batch's length).
                var end = start + 1
                while end < byLength.endIndex, end - start < batchSize, (end - start + 1) * length(of: byLength[end]) <= tokenBudget {
                    end += 1
                }
                rows.append(longestQuestionFirst(byLength[start..<end]))
                start = end
            }
        }
        rows.deterministicShuffle(using: &generator)
        return rows
    }

    public func batch(rows: [Int]) -> Seq2SeqBatch {
        Seq2SeqBatch(questions: rows.map { pairs[$0].question }, answers: rows.map { pairs[$0].answer },
                     bos: Vocabulary.bos, eos: Vocabulary.eos)
    }

    private func length(of index: Int) -> Int { pairs[index].question.count + pairs[index].answer.count }

    /// A batch's rows by question length, longest first, ties in their order.
    private func longestQuestionFirst(_ rows: ArraySlice<Int>) -> [Int] {
        rows.stablySorted { -pairs[$0].question.count }
    }

    /// Cuts questions and answers longer than `maxLength` tokens (`<bos>` and `<eos>` not counted)
    /// to their first `maxLength` tokens; `truncatedCount` is the number of pairs cut.
    public static func truncate(_ pairs: [Pair], maxLength: Int) -> (pairs: [Pair], truncatedCount: Int) {
        precondition(maxLength > 0, "the maximum length is at least 1")
        var truncatedCount = 0
        let cut = pairs.map { pair -> Pair in
            guard pair.question.count > maxLength || pair.answer.count > maxLength else { return pair }
            truncatedCount += 1
            return (Array(pair.question.prefix(maxLength)), Array(pair.answer.prefix(maxLength)))
        }
        return (cut, truncatedCount)
    }
}
