import Foundation

/// Writes text with a language model, one token at a time from the state it has read so far:
///
///     let generator = TextGenerator(model: model, settings: settings)
///     generator.read(promptIDs)            // the prompt sets the state
///     let id = generator.next()            // draw a token and read it in turn
///
/// Tokens are drawn as `settings` says: the most likely one (greedy), or sampled after
/// temperature, top-k and top-p (beam search is for answers, and is taken as greedy here).
/// `<pad>`, `<bos>`, `<eos>` are never drawn, nor `<unk>` unless allowed.
public final class TextGenerator {
    public let model: LanguageModel
    public var settings: DecodingSettings
    private var h: FloatBuffer, c: FloatBuffer  // [L, 1, H]
    private var x = Workspace(), logits = Workspace()
    private var forbidden: [Float]
    private var ids: [Int32], probabilities: [Float], weights: [Float]
    private var rng: Xoshiro256
    private var dropoutRNG = Xoshiro256(seed: 0)  // unused: no dropout here
    private var hasLogits = false

    public init(model: LanguageModel, settings: DecodingSettings) {
        let config = model.config, V = config.vocabSize
        self.model = model
        self.settings = settings
        h = FloatBuffer(count: config.layers * config.hiddenSize)
        c = FloatBuffer(count: config.layers * config.hiddenSize)
        forbidden = [Float](repeating: 0, count: V)
        for id in [Vocabulary.pad, Vocabulary.bos, Vocabulary.eos] + (settings.allowUnknown ? [] : [Vocabulary.unknown])
        where Int(id) < V { forbidden[Int(id)] = -.infinity }
        ids = [Int32](repeating: 0, count: V)
        probabilities = [Float](repeating: 0, count: V)
        weights = [Float](repeating: 0, count: V)
        rng = Xoshiro256(seed: settings.seed ?? UInt64.random(in: 0...UInt64.max))
    }

    /// Forgets everything read: the next `read` starts from a zero state.
    public func reset() {
        h.zero(); c.zero()
        hasLogits = false
    }

    /// Reads tokens (all at once, as training does), leaving the state after the last.
    public func read(_ tokens: [Int32]) {
        guard !tokens.isEmpty else { return }
        let config = model.config, T = tokens.count
        let input = x.reserve(T * config.embedSize)
        tokens.withUnsafeBufferPointer { model.embedding.forward(ids: $0.baseAddress!, count: T, into: input) }
        let last = (T - 1) * config.hiddenSize, z = logits.reserve(config.vocabSize)
        if let int8 = model.int8 {
            int8.proj.forward(int8.writer.forward(input, steps: T, batch: 1, lengths: nil, h: h.pointer, c: c.pointer) + last, rows: 1, into: z)
        } else {
            let top = model.lstm.forward(input, steps: T, batch: 1, h0: h.pointer, c0: c.pointer, rng: &dropoutRNG)
            model.lstm.copyFinalState(h: h.pointer, c: c.pointer)
            model.proj.forward(top + last, rows: 1, into: z)
        }
        hasLogits = true
    }

    /// Draws the next token from what was read, and reads it. Before anything was read, the
    /// text starts as after a line end (`newline`, when the vocabulary has it).
    public func next(startingAfter newline: Int32? = nil) -> Int32 {
        if !hasLogits { read([newline ?? Vocabulary.unknown]) }
        let V = model.config.vocabSize
        let token: Int32 = forbidden.withUnsafeBufferPointer { mask in
            let z = UnsafePointer(logits.pointer)
            guard settings.strategy == .sample else { return TokenDistribution.argmax(z, mask: mask.baseAddress!, count: V) }
            let n = ids.withUnsafeMutableBufferPointer { ids in
                probabilities.withUnsafeMutableBufferPointer { p in
                    weights.withUnsafeMutableBufferPointer { w in
                        TokenDistribution.samplingCandidates(
                            z, mask: mask.baseAddress!, count: V, temperature: settings.temperature, topK: settings.topK,
                            topP: settings.topP, ids: ids.baseAddress!, probabilities: p.baseAddress!, weights: w.baseAddress!)
                    }
                }
            }
            var u = rng.nextFloat(), k = 0
            while k < n - 1 && u >= probabilities[k] { u -= probabilities[k]; k += 1 }
            return ids[k]
        }
        read([token])
        return token
    }
}
