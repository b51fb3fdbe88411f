/// Runs a trained model for generation: the encoder once per question, then the decoder one
/// token at a time for `rows` hypotheses at once (beams or samples), on preallocated state.
///
///     let session = InferenceSession(model: model)
///     session.encode(questionIDs, rows: 4)
///     var logits = session.step([bos, bos, bos, bos])   // [4, V]
///     session.reorder([0, 0, 2, 1])                      // beam search keeps some rows, copies others
///
/// After the first call with a given number of rows, `step` and `reorder` allocate nothing.
public final class InferenceSession {
    public let model: Seq2SeqModel
    public private(set) var rows = 0
    private var h = Workspace(), c = Workspace()                // [L, rows, H]: the decoder state
    private var reorderH = Workspace(), reorderC = Workspace()  // scratch for reorder
    private var source = Workspace(), embedded = Workspace()
    private var ids: [Int32] = []
    private var logits = Workspace()                            // [rows, V]
    private var rng = Xoshiro256(seed: 0)                       // unused: no dropout at inference

    public init(model: Seq2SeqModel) { self.model = model }

    public var vocabSize: Int { model.config.vocabSize }

    /// Encodes one question and gives each of `rows` hypotheses the encoder's final state.
    public func encode(_ question: [Int32], rows: Int) {
        precondition(rows > 0)
        let config = model.config, E = config.embedSize, H = config.hiddenSize, L = config.layers
        self.rows = rows
        let S = max(question.count, 1)
        let x = source.reserve(S * E)
        ids = question.isEmpty ? [0] : question
        var length = Int32(question.count)  // an empty question leaves the state at zero
        ids.withUnsafeBufferPointer { model.embedding.forward(ids: $0.baseAddress!, count: S, into: x) }
        _ = model.encoder.forward(x, steps: S, batch: 1, lengths: &length, rng: &rng)
        let h = self.h.reserve(L * rows * H), c = self.c.reserve(L * rows * H)
        _ = reorderH.reserve(L * rows * H); _ = reorderC.reserve(L * rows * H)
        _ = embedded.reserve(rows * E); _ = logits.reserve(rows * config.vocabSize)
        for (l, layer) in model.encoder.layers.enumerated() {
            for r in 0..<rows {
                (h + (l * rows + r) * H).update(from: layer.finalHidden, count: H)
                (c + (l * rows + r) * H).update(from: layer.finalCell, count: H)
            }
        }
    }

    /// Feeds one token to each row and returns the next-token logits, [rows, V] (valid until
    /// the next call).
    public func step(_ tokens: UnsafeBufferPointer<Int32>) -> UnsafeBufferPointer<Float> {
        precondition(tokens.count == rows, "one token per row")
        let V = model.config.vocabSize, E = model.config.embedSize
        let x = embedded.reserve(rows * E)
        model.embedding.forward(ids: tokens.baseAddress!, count: rows, into: x)
        let top = model.decoder.forward(x, steps: 1, batch: rows, h0: h.pointer, c0: c.pointer, rng: &rng)
        model.decoder.copyFinalState(h: h.pointer, c: c.pointer)
        let z = logits.reserve(rows * V)
        model.proj.forward(top, rows: rows, into: z)
        return UnsafeBufferPointer(start: z, count: rows * V)
    }

    public func step(_ tokens: [Int32]) -> UnsafeBufferPointer<Float> {
        tokens.withUnsafeBufferPointer { step($0) }
    }

    /// Row r takes the state of row `parents[r]` (beam search: survivors and their copies).
    public func reorder(_ parents: [Int]) {
        precondition(parents.count == rows)
        let H = model.config.hiddenSize, L = model.config.layers
        for (state, scratch) in [(h.pointer, reorderH.pointer), (c.pointer, reorderC.pointer)] {
            scratch.update(from: state, count: L * rows * H)
            for l in 0..<L {
                for (r, p) in parents.enumerated() {
                    (state + (l * rows + r) * H).update(from: scratch + (l * rows + p) * H, count: H)
                }
            }
        }
    }
}
