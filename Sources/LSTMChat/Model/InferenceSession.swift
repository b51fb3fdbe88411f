/// Runs a trained model for generation: the encoder once per question, then the decoder one
/// token at a time for `rows` hypotheses at once (beams or samples), on preallocated state.
///
///     let session = InferenceSession(model: model)
///     session.encode(questionIDs, rows: 4)
///     var logits = session.step([bos, bos, bos, bos])   // [4, V]
///     session.reorder([0, 0, 2, 1])                      // beam search keeps some rows, copies others
///     session.reorder([0, 3])                            // two rows left: the old rows 0 and 3
///
/// `encode(questions:)` instead gives each of several questions a row of its own (greedy
/// answers to many questions in one batch). With attention, the session keeps the encoder's
/// outputs of every question and their keys, and each row attends to its own question's.
///
/// After the first call with a given number of rows, `step` and `reorder` allocate nothing.
/// A model with int8 layers (`Seq2SeqModel.int8`) encodes and steps on them.
public final class InferenceSession {
    public let model: Seq2SeqModel
    public private(set) var rows = 0
    private var h = Workspace(), c = Workspace()                // [L, rows, H]: the decoder state
    private var reorderH = Workspace(), reorderC = Workspace()  // scratch for reorder
    private var source = Workspace(), embedded = Workspace()
    private var ids: [Int32] = []
    private var logits = Workspace()                            // [rows, V]
    private var savedH = Workspace(), savedC = Workspace(), savedMemory = Workspace(), savedKeys = Workspace()  // for admit
    private var scratch = Workspace()
    /// The output layer's weight packed at the first step (`Affine.packedWeight`): the weights
    /// must not change while the session is used.
    private var projection: PackedMatrix?
    private var rng = Xoshiro256(seed: 0)                       // unused: no dropout at inference
    // Attention: the encoder outputs and keys of the questions, [S, Q, H], their lengths [Q],
    // and the question of each row.
    private var memory = Workspace(), keys = Workspace()
    private var encoderH = Workspace(), encoderC = Workspace()  // [L, Q, H]: the encoder's final state
    private var sourceSteps = 0, questions = 0
    private var lengths: [Int32] = [], rowQuestion: [Int32] = [], reorderQuestion: [Int32] = []

    public init(model: Seq2SeqModel) { self.model = model }

    public var vocabSize: Int { model.config.vocabSize }

    /// Encodes one question and gives each of `rows` hypotheses the encoder's final state.
    public func encode(_ question: [Int32], rows: Int) {
        precondition(rows > 0)
        encode([question], rowQuestion: [Int32](repeating: 0, count: rows))
    }

    /// Encodes several questions at once, one row each (row i answers `questions[i]`).
    public func encode(questions: [[Int32]]) {
        precondition(!questions.isEmpty)
        encode(questions, rowQuestion: (0..<questions.count).map(Int32.init))
    }

    private func encode(_ questions: [[Int32]], rowQuestion: [Int32]) {
        let config = model.config, E = config.embedSize, H = config.hiddenSize, L = config.layers
        let Q = questions.count, S = max(1, questions.map(\.count).max()!), rows = rowQuestion.count
        self.rows = rows
        self.rowQuestion = rowQuestion
        reorderQuestion = rowQuestion
        lengths = questions.map { Int32($0.count) }  // an empty question leaves the state at zero
        // Time-major [S, Q], padded with 0.
        ids = [Int32](repeating: 0, count: S * Q)
        for (q, question) in questions.enumerated() { for (s, id) in question.enumerated() { ids[s * Q + q] = id } }
        let x = source.reserve(S * Q * E)
        ids.withUnsafeBufferPointer { model.embedding.forward(ids: $0.baseAddress!, count: S * Q, into: x) }
        let finalH = encoderH.reserve(L * Q * H), finalC = encoderC.reserve(L * Q * H)
        let top: UnsafePointer<Float> = lengths.withUnsafeBufferPointer { lengths in
            if let encoder = model.int8?.reader {
                finalH.update(repeating: 0, count: L * Q * H); finalC.update(repeating: 0, count: L * Q * H)
                return encoder.forward(x, steps: S, batch: Q, lengths: lengths.baseAddress!, h: finalH, c: finalC)
            }
            let top = model.encoder.forward(x, steps: S, batch: Q, lengths: lengths.baseAddress!, rng: &rng)
            model.encoder.copyFinalState(h: finalH, c: finalC)
            return UnsafePointer(top)
        }
        let h = self.h.reserve(L * rows * H), c = self.c.reserve(L * rows * H)
        _ = reorderH.reserve(L * rows * H); _ = reorderC.reserve(L * rows * H)
        _ = embedded.reserve(rows * E); _ = logits.reserve(rows * config.vocabSize)
        for l in 0..<L {
            for (r, q) in rowQuestion.enumerated() {
                (h + (l * rows + r) * H).update(from: finalH + (l * Q + Int(q)) * H, count: H)
                (c + (l * rows + r) * H).update(from: finalC + (l * Q + Int(q)) * H, count: H)
            }
        }
        sourceSteps = S; self.questions = Q
        if let attention = model.attention {
            let memory = self.memory.reserve(S * Q * H), keys = self.keys.reserve(S * Q * H)
            memory.update(from: top, count: S * Q * H)
            attention.keys(of: memory, count: S * Q, into: keys)
        }
    }

    /// Adds one row per question after the rows there are, which keep their state: questions
    /// join a batch between two steps (a server's continuous batching). The questions no row
    /// answers any more are dropped.
    public func admit(questions new: [[Int32]]) {
        precondition(!new.isEmpty)
        guard rows > 0 else { return encode(questions: new) }
        let H = model.config.hiddenSize, L = model.config.layers, old = rows, attends = model.attention != nil
        // What the open rows keep: their state, and the encoder outputs of their questions,
        // saved as [S, K, H] (K kept questions, S the longest of them).
        let kept = Array(Set(rowQuestion)).sorted(), K = kept.count, oldQ = questions
        let keptLengths = kept.map { lengths[Int($0)] }, keptS = Int(keptLengths.max()!)
        let keptIndex = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, Int32($0)) })
        let keptRows = rowQuestion.map { keptIndex[$0]! }
        savedH.reserve(L * old * H).update(from: h.pointer, count: L * old * H)
        savedC.reserve(L * old * H).update(from: c.pointer, count: L * old * H)
        if attends {
            for (from, to) in [(memory.pointer, savedMemory.reserve(keptS * K * H)), (keys.pointer, savedKeys.reserve(keptS * K * H))] {
                for s in 0..<keptS { for (i, q) in kept.enumerated() { (to + (s * K + i) * H).update(from: from + (s * oldQ + Int(q)) * H, count: H) } }
            }
        }

        encode(new, rowQuestion: (0..<new.count).map(Int32.init))  // the new rows and questions alone
        let n = new.count, R = old + n, Q = K + n, newS = sourceSteps, S = max(keptS, newS)
        // The state [L, R, H]: the old rows, then the new ones.
        func merge(_ state: inout Workspace, _ saved: UnsafeMutablePointer<Float>) {
            let fresh = scratch.reserve(L * n * H)
            fresh.update(from: state.pointer, count: L * n * H)
            let to = state.reserve(L * R * H)
            for l in 0..<L {
                (to + l * R * H).update(from: saved + l * old * H, count: old * H)
                (to + (l * R + old) * H).update(from: fresh + l * n * H, count: n * H)
            }
        }
        merge(&h, savedH.pointer); merge(&c, savedC.pointer)
        _ = reorderH.reserve(L * R * H); _ = reorderC.reserve(L * R * H)
        _ = embedded.reserve(R * model.config.embedSize); _ = logits.reserve(R * model.config.vocabSize)
        // The questions' encoder outputs and keys [S, Q, H]: the kept questions', then the new
        // ones' (zero past a question's end, where attention does not look).
        func merge(questions space: inout Workspace, _ saved: UnsafeMutablePointer<Float>) {
            let fresh = scratch.reserve(newS * n * H)
            fresh.update(from: space.pointer, count: newS * n * H)
            let to = space.reserve(S * Q * H)
            to.update(repeating: 0, count: S * Q * H)
            for s in 0..<S {
                if s < keptS { (to + s * Q * H).update(from: saved + s * K * H, count: K * H) }
                if s < newS { (to + (s * Q + K) * H).update(from: fresh + s * n * H, count: n * H) }
            }
        }
        if attends { merge(questions: &memory, savedMemory.pointer); merge(questions: &keys, savedKeys.pointer) }
        lengths = keptLengths + lengths
        rowQuestion = keptRows + (0..<n).map { Int32(K + $0) }
        reorderQuestion = rowQuestion
        sourceSteps = S; questions = Q; rows = R
    }

    /// The encoder's final hidden state of the (first) question last encoded, every layer's in turn
    /// ([L × H]): where the question lies in the model's own terms.
    public func questionState() -> [Float] {
        let H = model.config.hiddenSize
        var state: [Float] = []
        state.reserveCapacity(model.config.layers * H)
        for l in 0..<model.config.layers { state += UnsafeBufferPointer(start: encoderH.pointer + l * questions * H, count: H) }
        return state
    }

    /// Feeds one token to each row and returns the next-token logits, [rows, V] (valid until
    /// the next call): with an adaptive softmax, log-probabilities, which a softmax leaves as they are.
    public func step(_ tokens: UnsafeBufferPointer<Int32>) -> UnsafeBufferPointer<Float> {
        precondition(tokens.count == rows, "one token per row")
        let V = model.config.vocabSize, E = model.config.embedSize
        let x = embedded.reserve(rows * E)
        model.embedding.forward(ids: tokens.baseAddress!, count: rows, into: x)
        var top: UnsafePointer<Float>
        if let decoder = model.int8?.writer {
            top = decoder.forward(x, steps: 1, batch: rows, lengths: nil, h: h.pointer, c: c.pointer)
        } else {
            top = UnsafePointer(model.decoder.forward(x, steps: 1, batch: rows, h0: h.pointer, c0: c.pointer, rng: &rng))
            model.decoder.copyFinalState(h: h.pointer, c: c.pointer)
        }
        if let attention = model.attention {
            top = lengths.withUnsafeBufferPointer { lengths in
                rowQuestion.withUnsafeBufferPointer { rowQuestion in
                    UnsafePointer(attention.forward(
                        top, steps: 1, batch: rows, memory: memory.pointer, keys: keys.pointer, sourceSteps: sourceSteps,
                        sources: questions, lengths: lengths.baseAddress!, sourceOf: rowQuestion.baseAddress!))
                }
            }
        }
        let z = logits.reserve(rows * V)
        if let proj = model.int8?.proj {
            proj.forward(top, rows: rows, into: z)
        } else if case .full(let affine) = model.output {
            if projection == nil { projection = affine.packedWeight() }
            affine.forward(top, rows: rows, packed: projection!, into: z)
        } else {
            model.scores(top, rows: rows, into: z)
        }
        return UnsafeBufferPointer(start: z, count: rows * V)
    }

    public func step(_ tokens: [Int32]) -> UnsafeBufferPointer<Float> {
        tokens.withUnsafeBufferPointer { step($0) }
    }

    /// Row r takes the state of row `parents[r]` (beam search: survivors and their copies),
    /// and with it the question it answers. Fewer parents than rows leave fewer rows: the rows
    /// no parent names are dropped (batched greedy answers: finished questions stop costing).
    public func reorder(_ parents: [Int]) {
        let H = model.config.hiddenSize, L = model.config.layers, from = rows, to = parents.count
        precondition(to > 0 && to <= from && parents.allSatisfy { $0 >= 0 && $0 < from }, "parents must be rows there are")
        for (state, scratch) in [(h.pointer, reorderH.pointer), (c.pointer, reorderC.pointer)] {
            scratch.update(from: state, count: L * from * H)
            for l in 0..<L {
                for (r, p) in parents.enumerated() {
                    (state + (l * to + r) * H).update(from: scratch + (l * from + p) * H, count: H)
                }
            }
        }
        for (r, p) in parents.enumerated() { reorderQuestion[r] = rowQuestion[p] }
        reorderQuestion.removeLast(reorderQuestion.count - to)
        swap(&rowQuestion, &reorderQuestion)
        rows = to
    }
}
