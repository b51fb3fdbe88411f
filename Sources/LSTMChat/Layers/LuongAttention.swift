import Foundation

/// Luong attention with the "general" score and no input feeding: each decoder output looks
/// at the encoder's top-layer outputs e_s of its own question's real tokens.
///
///     k_s   = W_a · e_s                          keys (attn.weight [H, H]), once per question
///     score = h_t · k_s                          for s < the question's length
///     a_t   = softmax_s(score)
///     c_t   = Σ_s a_{t,s} e_s                    the context
///     h~_t  = tanh(W_c · [c_t ; h_t] + b_c)      attn_combine.weight [H, 2H], attn_combine.bias [H]
///
/// The output layer then reads h~_t instead of h_t.
///
/// Tensors are time-major: the memory e and its keys are [S, Q, H] (Q questions), the decoder
/// outputs h and the result h~ are [T, B, H]. Row b of the decoder attends to question
/// `sourceOf[b]` (training: question b; generation: several rows, beams or samples, share one).
/// The scores of all T steps of a row are one matrix product with that row's keys, and so is
/// its context; the combination is one product for all T·B rows.
final class LuongAttention {
    let hiddenSize: Int
    private let weight, gradWeight: UnsafeMutablePointer<Float>
    private let combine: Affine

    // Saved by forward for backward (pointers owned by the caller).
    private var steps = 0, batch = 0, sourceSteps = 0, sources = 0
    private var query: UnsafePointer<Float>?
    private var memory: UnsafePointer<Float>?, keys: UnsafePointer<Float>?
    private var lengths: UnsafePointer<Int32>?, sourceOf: UnsafePointer<Int32>?
    private var weights = Workspace()      // [B, T, S]: a, row by row (only s < length is set)
    private var combined = Workspace()     // [T, B, 2H]: [c_t ; h_t]
    private var outputBuffer = Workspace() // [T, B, H]: h~
    // Backward.
    private var dPre = Workspace()         // [T, B, H]: d (W_c·[c;h] + b_c)
    private var dCombined = Workspace()    // [T, B, 2H]
    private var dScores = Workspace()      // [B, T, S]
    private var dKeys = Workspace()        // [S, Q, H]
    private var dQuery = Workspace()       // [T, B, H]
    private var dMemory = Workspace()      // [S, Q, H]

    init(hiddenSize: Int, parameters: Parameters) {
        self.hiddenSize = hiddenSize
        (weight, gradWeight) = parameters.tensor("attn.weight")
        let w = parameters.tensor("attn_combine.weight"), b = parameters.tensor("attn_combine.bias")
        combine = Affine(inputSize: 2 * hiddenSize, outputSize: hiddenSize,
                         weight: w.value, bias: b.value, weightGradient: w.gradient, biasGradient: b.gradient)
    }

    /// keys = memory · W_aᵀ for `count` memory vectors ([count, H] each).
    func keys(of memory: UnsafePointer<Float>, count: Int, into keys: UnsafeMutablePointer<Float>) {
        gemm(transB: true, m: count, n: hiddenSize, k: hiddenSize,
             a: memory, lda: hiddenSize, b: weight, ldb: hiddenSize, c: keys, ldc: hiddenSize)
    }

    /// h~ [T, B, H] (valid until the next forward) from the decoder outputs `query` [T, B, H],
    /// over `memory` and its `keys` [S, Q, H] with `lengths` [Q]; `sourceOf` [B] (nil: row b
    /// reads question b). Every pointer must stay valid until `backward`.
    func forward(
        _ query: UnsafePointer<Float>, steps T: Int, batch B: Int,
        memory: UnsafePointer<Float>, keys: UnsafePointer<Float>, sourceSteps S: Int, sources Q: Int,
        lengths: UnsafePointer<Int32>, sourceOf: UnsafePointer<Int32>? = nil
    ) -> UnsafeMutablePointer<Float> {
        let H = hiddenSize
        steps = T; batch = B; sourceSteps = S; sources = Q
        self.query = query; self.memory = memory; self.keys = keys; self.lengths = lengths; self.sourceOf = sourceOf
        let a = weights.reserve(B * T * S), combined = self.combined.reserve(T * B * 2 * H)

        for b in 0..<B {
            let q = sourceOf.map { Int($0[b]) } ?? b, n = Int(lengths[q])
            let ab = a + b * T * S, context = combined + b * 2 * H
            // Scores of every step of row b: [T, n] = h_b · k_qᵀ, then a softmax per step.
            gemm(transB: true, m: T, n: n, k: H, a: query + b * H, lda: B * H, b: keys + q * H, ldb: Q * H, c: ab, ldc: S)
            for t in 0..<T { softmax(ab + t * S, count: n) }
            // Context [T, H] = a_b · e_q, written into the first half of [c ; h].
            gemm(m: T, n: H, k: n, a: ab, lda: S, b: memory + q * H, ldb: Q * H, c: context, ldc: B * 2 * H)
        }
        for r in 0..<(T * B) { (combined + r * 2 * H + H).update(from: query + r * H, count: H) }

        let out = outputBuffer.reserve(T * B * H)
        combine.forward(combined, rows: T * B, into: out)
        tanhInPlace(out, count: T * B * H)
        return out
    }

    /// Back-propagates d h~ [T, B, H] through the last forward. Accumulates into the parameter
    /// gradients; returns d query [T, B, H] and d memory [S, Q, H] (zero past each question's
    /// length: those encoder outputs were never read).
    func backward(_ dOutput: UnsafePointer<Float>) -> (dQuery: UnsafeMutablePointer<Float>, dMemory: UnsafeMutablePointer<Float>) {
        let T = steps, B = batch, S = sourceSteps, Q = sources, H = hiddenSize
        let query = query!, memory = memory!, keys = keys!, lengths = lengths!
        let out = outputBuffer.pointer, a = weights.pointer

        // Through tanh, then the combination: d [c ; h] = d pre · W_c.
        let dPre = self.dPre.reserve(T * B * H)
        for i in 0..<(T * B * H) { dPre[i] = dOutput[i] * (1 - out[i] * out[i]) }
        let dCombined = self.dCombined.reserve(T * B * 2 * H)
        combine.backward(combined.pointer, dy: dPre, rows: T * B, dx: dCombined)

        // h_t reaches h~ directly (second half of [c ; h]) and through the scores (added below).
        let dQuery = self.dQuery.reserve(T * B * H)
        for r in 0..<(T * B) { (dQuery + r * H).update(from: dCombined + r * 2 * H + H, count: H) }
        let dScores = self.dScores.reserve(B * T * S)
        let dKeys = self.dKeys.reserve(S * Q * H), dMemory = self.dMemory.reserve(S * Q * H)
        dKeys.update(repeating: 0, count: S * Q * H)
        dMemory.update(repeating: 0, count: S * Q * H)

        for b in 0..<B {
            let q = sourceOf.map { Int($0[b]) } ?? b, n = Int(lengths[q])
            guard n > 0 else { continue }
            let ab = a + b * T * S, dab = dScores + b * T * S, dContext = dCombined + b * 2 * H
            // d a [T, n] = d c · e_qᵀ;  d e_q += aᵀ · d c.
            gemm(transB: true, m: T, n: n, k: H, a: dContext, lda: B * 2 * H, b: memory + q * H, ldb: Q * H, c: dab, ldc: S)
            gemm(transA: true, m: n, n: H, k: T, a: ab, lda: S, b: dContext, ldb: B * 2 * H, beta: 1, c: dMemory + q * H, ldc: Q * H)
            // Through the softmax: d score = a ⊙ (d a − Σ_s a·d a).
            for t in 0..<T {
                let at = ab + t * S, dt = dab + t * S
                var dot: Float = 0
                for s in 0..<n { dot += at[s] * dt[s] }
                for s in 0..<n { dt[s] = at[s] * (dt[s] - dot) }
            }
            // score = h · kᵀ: d h += d score · k_q;  d k_q += d scoreᵀ · h.
            gemm(m: T, n: H, k: n, a: dab, lda: S, b: keys + q * H, ldb: Q * H, beta: 1, c: dQuery + b * H, ldc: B * H)
            gemm(transA: true, m: n, n: H, k: T, a: dab, lda: S, b: query + b * H, ldb: B * H, beta: 1, c: dKeys + q * H, ldc: Q * H)
        }
        // k = e · W_aᵀ: d W_a += d kᵀ · e;  d e += d k · W_a (d k is zero past each length).
        gemm(transA: true, m: H, n: H, k: S * Q, a: dKeys, lda: H, b: memory, ldb: H, beta: 1, c: gradWeight, ldc: H)
        gemm(m: S * Q, n: H, k: H, a: dKeys, lda: H, b: weight, ldb: H, beta: 1, c: dMemory, ldc: H)
        return (dQuery, dMemory)
    }

    /// x[0..<n] = softmax(x[0..<n]); nothing when n = 0 (an empty question: the context is 0).
    private func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        var largest = x[0]
        for s in 1..<n { largest = max(largest, x[s]) }
        var sum: Float = 0
        for s in 0..<n { x[s] = Foundation.exp(x[s] - largest); sum += x[s] }
        let scale = 1 / sum
        for s in 0..<n { x[s] *= scale }
    }

    private func tanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in stride(from: 0, to: count, by: 8) {
            let k = min(8, count - i)
            store8(tanh(load8(x, i, count: k)), x, i, count: k)
        }
    }
}
