import CKernels
import Foundation

/// One LSTM layer with PyTorch's semantics (`nn.LSTM`, one layer): gate rows in the order
/// input, forget, cell (g), output inside `weight_ih` [4H, in], `weight_hh` [4H, H],
/// `bias_ih` [4H], `bias_hh` [4H].
///
///     a = W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh          (4H pre-activations)
///     i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
///     c_t = f ⊙ c_{t−1} + i ⊙ g
///     h_t = o ⊙ tanh(c_t)
///
/// Tensors are time-major: x is [T, B, in], outputs [T, B, H]. Rows may have their own
/// lengths: at steps t ≥ length[b] row b keeps its state (h and c are carried unchanged),
/// so the final state of every row is the one after its own last real token.
///
/// The input projection of all T steps is one GEMM; each step adds one recurrent GEMM and
/// one pass of the gate nonlinearities, both over the rows that still have tokens to read
/// (`rowsRunning`). Workspaces grow to the largest batch seen and are reused, so no step
/// allocates.
final class LSTMLayer {
    let inputSize: Int
    let hiddenSize: Int
    private let weightIH, weightHH, biasIH, biasHH: UnsafeMutablePointer<Float>
    private let gradWeightIH, gradWeightHH, gradBiasIH, gradBiasHH: UnsafeMutablePointer<Float>

    // Saved by forward for backward.
    private(set) var steps = 0
    private(set) var batch = 0
    private var input: UnsafePointer<Float>?   // [T, B, in], owned by the caller
    private var lengths: UnsafePointer<Int32>?  // [B] or nil when every row runs T steps
    private var gates = Workspace()     // [T, B, 4H]: activated i, f, g, o; after backward, their gradients
    private var hidden = Workspace()    // [T+1, B, H]: h_0 … h_T
    private var cell = Workspace()      // [T+1, B, H]: c_0 … c_T
    private var tanhCell = Workspace()  // [T, B, H]: tanh(c_1) … tanh(c_T)
    // Backward.
    private var dInputBuffer = Workspace()  // [T, B, in]
    private var dh = Workspace(), dc = Workspace(), dhNext = Workspace()  // [B, H] each
    private var dBias = Workspace()     // [4H]: the gradient both biases share
    // W_hh packed once per forward (as W_hhᵀ, [H, 4H]) and once per backward (as W_hh, [4H, H])
    // for the T small recurrent products (`PackedMatrix`).
    private var packedForward = PackedMatrix(), packedBackward = PackedMatrix()
    /// d loss / d h_0 after `backward`, [B, H] (one of the two buffers `dh`, `dhNext`).
    private(set) var dh0: UnsafeMutablePointer<Float>
    /// False runs every row through every step, the full computation that `rowsRunning` cuts
    /// short: the reference tests compare against.
    var skipsRowsPastTheirLength = true

    init(inputSize: Int, hiddenSize: Int, parameters: Parameters, prefix: String, layer: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        (weightIH, gradWeightIH) = parameters.tensor("\(prefix).weight_ih_l\(layer)")
        (weightHH, gradWeightHH) = parameters.tensor("\(prefix).weight_hh_l\(layer)")
        (biasIH, gradBiasIH) = parameters.tensor("\(prefix).bias_ih_l\(layer)")
        (biasHH, gradBiasHH) = parameters.tensor("\(prefix).bias_hh_l\(layer)")
        dh0 = dh.pointer
    }

    /// h_1 … h_T, [T, B, H], valid until the next forward.
    var output: UnsafeMutablePointer<Float> { hidden.pointer + batch * hiddenSize }
    /// h_T and c_T, [B, H] each: every row's state after its last real token.
    var finalHidden: UnsafeMutablePointer<Float> { hidden.pointer + steps * batch * hiddenSize }
    var finalCell: UnsafeMutablePointer<Float> { cell.pointer + steps * batch * hiddenSize }

    /// Runs T steps over x [T, B, in] from the state (h0, c0) (zeros when nil). `input` and
    /// `lengths` must stay valid until `backward`.
    func forward(
        _ x: UnsafePointer<Float>, steps T: Int, batch B: Int,
        h0: UnsafePointer<Float>?, c0: UnsafePointer<Float>?, lengths: UnsafePointer<Int32>?
    ) {
        let H = hiddenSize, G = 4 * H
        steps = T; batch = B; input = x; self.lengths = lengths
        let gates = self.gates.reserve(T * B * G)
        let hidden = self.hidden.reserve((T + 1) * B * H)
        let cell = self.cell.reserve((T + 1) * B * H)
        let tanhCell = self.tanhCell.reserve(T * B * H)
        if let h0 { hidden.update(from: h0, count: B * H) } else { hidden.update(repeating: 0, count: B * H) }
        if let c0 { cell.update(from: c0, count: B * H) } else { cell.update(repeating: 0, count: B * H) }

        // Input projection for every step at once: gates = x·W_ihᵀ + (b_ih + b_hh).
        projectInputs(x, rows: T * B, into: gates)
        // One step alone (generation) or one row: BLAS, which reads W_hh once and packs nothing.
        let packed = Self.usesPackedKernel(steps: T, batch: B)
        if packed { packRecurrentWeights() }

        for t in 0..<T {
            let a = gates + t * B * G
            let hPrev = hidden + t * B * H, cPrev = cell + t * B * H
            let hNext = hPrev + B * H, cNext = cPrev + B * H, tc = tanhCell + t * B * H
            // Rows from m on are past their length (`rowsRunning`): they carry h and c, as the
            // kernel would, and skip the product and the kernel.
            let m = rowsRunning(at: t)
            (hNext + m * H).update(from: hPrev + m * H, count: (B - m) * H)
            (cNext + m * H).update(from: cPrev + m * H, count: (B - m) * H)
            // Recurrent part: a += h_{t−1}·W_hhᵀ, the four gates side by side.
            recurrentProduct(rows: m, h: hPrev, into: a, packed: packed)
            // i, f, g, o = σ, σ, tanh, σ of a; c_t = f⊙c_{t−1} + i⊙g; h_t = o⊙tanh(c_t)
            // (Sources/CKernels/elementwise.c).
            gateKernels(rows: m, a: a, cPrev: cPrev, cNext: cNext, tanhCell: tc, hPrev: hPrev, hNext: hNext, step: t)
        }
    }

    /// Whether the recurrent products go through `PackedMatrix`: packing pays for itself over
    /// several steps of several rows.
    static func usesPackedKernel(steps: Int, batch: Int) -> Bool { steps >= 2 && batch >= 2 }

    /// The rows that run step t: 1 + the last row b with lengths[b] > t (0 when none, B when
    /// every row runs T steps). Every row from there on is past its length, only carrying its
    /// state, so the step's recurrent product and gate kernels are run on these rows alone; a
    /// batch whose rows are ordered longest first (`Batcher`) pays for its real tokens only, as
    /// PyTorch's `pack_padded_sequence` does. Rows before m that are past their length are left
    /// to the kernels, which carry them row by row.
    private func rowsRunning(at t: Int) -> Int {
        guard let lengths, skipsRowsPastTheirLength else { return batch }
        return Self.rowsRunning(at: t, lengths: UnsafeBufferPointer(start: lengths, count: batch))
    }

    /// The rows of a batch with these row lengths that run step t (`bench` counts them too).
    static func rowsRunning(at t: Int, lengths: UnsafeBufferPointer<Int32>) -> Int {
        var m = lengths.count
        while m > 0, Int(lengths[m - 1]) <= t { m -= 1 }
        return m
    }

    /// Back-propagates through the T steps of the last forward, once (it overwrites the
    /// forward's gate activations).
    ///
    /// - dOutput: d loss / d h_t for t = 1…T, [T, B, H], or nil when the outputs were not used.
    /// - dhFinal, dcFinal: d loss / d (h_T, c_T), [B, H], or nil.
    /// Accumulates into the parameter gradients; returns d loss / d x [T, B, in] and leaves
    /// d loss / d (h_0, c_0) in `dh0`, `dc0`.
    @discardableResult
    func backward(
        dOutput: UnsafePointer<Float>?, dhFinal: UnsafePointer<Float>?, dcFinal: UnsafePointer<Float>?
    ) -> UnsafeMutablePointer<Float> {
        let T = steps, B = batch, H = hiddenSize, G = 4 * H
        let gates = self.gates.pointer, cell = self.cell.pointer
        let tanhCell = self.tanhCell.pointer
        // The gradients of the pre-activations are written over the activations: step t's are
        // read before they are written (`lstmchat_lstm_gates_backward`) and not read again, so
        // a batch's [T, B, 4H] is held once (2 MB at 512 tokens and H 256). Hence one backward
        // per forward.
        let dGates = gates
        var dh = self.dh.reserve(B * H), dhNext = self.dhNext.reserve(B * H)
        let dc = self.dc.reserve(B * H)
        if let dhFinal { dh.update(from: dhFinal, count: B * H) } else { dh.update(repeating: 0, count: B * H) }
        if let dcFinal { dc.update(from: dcFinal, count: B * H) } else { dc.update(repeating: 0, count: B * H) }

        let packed = Self.usesPackedKernel(steps: T, batch: B)
        if packed { packRecurrentWeightsForBackward() }
        for t in stride(from: T - 1, through: 0, by: -1) {
            let act = gates + t * B * G, dA = dGates + t * B * G
            let cPrev = cell + t * B * H, tc = tanhCell + t * B * H
            // Rows from m on only carried their state at step t (`rowsRunning`): their d a is 0
            // (the weight and input gradients below run over all rows), their d h gets the
            // step's output gradient (h_t is h_{t−1} there) and passes on, with d c, unchanged.
            let m = rowsRunning(at: t)
            (dA + m * G).update(repeating: 0, count: (B - m) * G)
            if let dOutput {
                let dOut = dOutput + t * B * H
                for k in (m * H)..<(B * H) { dh[k] += dOut[k] }
            }
            // d a from d h_t and d c_t through the gates; d c_{t−1} = d c_t ⊙ f.
            backwardGateKernels(rows: m, gates: act, dA: dA, cPrev: cPrev, tanhCell: tc, dh: dh,
                                dOutput: dOutput.map { $0 + t * B * H }, dc: dc, step: t)
            // d h_{t−1} = d a · W_hh; rows in padding pass their gradient through unchanged.
            backwardRecurrentProduct(rows: m, dA: dA, into: dhNext, packed: packed)
            (dhNext + m * H).update(from: dh + m * H, count: (B - m) * H)
            if let lengths {
                for b in 0..<m where t >= Int(lengths[b]) { (dhNext + b * H).update(from: dh + b * H, count: H) }
            }
            swap(&dh, &dhNext)
        }
        dh0 = dh

        // Weight gradients of all steps as single GEMMs.
        weightGradients(T: T, B: B)
        return dInputBuffer.pointer
    }

    /// d W_ih += d aᵀ·x, d W_hh += d aᵀ·h, d b += Σ d a, and d x = d a · W_ih, for all steps at once.
    private func weightGradients(T: Int, B: Int) {
        StepProfile.measure(.weightGradients) { weightAndInputGradients(T: T, B: B) }
    }

    private func weightAndInputGradients(T: Int, B: Int) {
        let H = hiddenSize, G = 4 * H, dGates = self.gates.pointer, hidden = self.hidden.pointer
        gemm(transA: true, m: G, n: inputSize, k: T * B,
             a: dGates, lda: G, b: input!, ldb: inputSize, beta: 1, c: gradWeightIH, ldc: inputSize)
        gemm(transA: true, m: G, n: H, k: T * B,
             a: dGates, lda: G, b: hidden, ldb: H, beta: 1, c: gradWeightHH, ldc: H)
        addBiasGradients(dGates, rows: T * B)
        let dInput = dInputBuffer.reserve(T * B * inputSize)
        gemm(m: T * B, n: inputSize, k: G, a: dGates, lda: G, b: weightIH, ldb: inputSize, c: dInput, ldc: inputSize)
    }

    /// d loss / d c_0 after `backward`, [B, H].
    var dc0: UnsafeMutablePointer<Float> { dc.pointer }

    // MARK: - The kernels of a step, each timed as its phase for `bench --profile`

    private func projectInputs(_ x: UnsafePointer<Float>, rows: Int, into gates: UnsafeMutablePointer<Float>) {
        let G = 4 * hiddenSize
        StepProfile.measure(.inputProjection) {
            if rows > 0 {
                StepProfile.measure(.biases) {
                    for j in 0..<G { gates[j] = biasIH[j] + biasHH[j] }
                    for r in 1..<rows { (gates + r * G).update(from: gates, count: G) }
                }
            }
            gemm(transB: true, m: rows, n: G, k: inputSize, a: x, lda: inputSize, b: weightIH, ldb: inputSize, beta: 1, c: gates, ldc: G)
        }
    }

    private func packRecurrentWeights() {
        let H = hiddenSize
        StepProfile.measure(.recurrentProducts) { packedForward.pack(weightHH, k: H, n: 4 * H, strideK: 1, strideN: H) }
    }

    private func recurrentProduct(rows m: Int, h: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>, packed: Bool) {
        let H = hiddenSize, G = 4 * H
        StepProfile.measure(.recurrentProducts) {
            if packed {
                packedForward.multiplyAdd(m: m, a: h, lda: H, c: a, ldc: G)
            } else {
                gemm(transB: true, m: m, n: G, k: H, a: h, lda: H, b: weightHH, ldb: H, beta: 1, c: a, ldc: G)
            }
        }
    }

    private func gateKernels(rows m: Int, a: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, cNext: UnsafeMutablePointer<Float>,
                             tanhCell: UnsafeMutablePointer<Float>, hPrev: UnsafePointer<Float>, hNext: UnsafeMutablePointer<Float>, step t: Int) {
        StepProfile.measure(.gateKernels) {
            lstmchat_lstm_gates_forward(Int32(m), Int32(hiddenSize), a, cPrev, cNext, tanhCell, hPrev, hNext, lengths, Int32(t))
        }
    }

    /// Both biases get the same gradient, Σ over steps and rows of d a: summed once, added twice.
    private func addBiasGradients(_ dGates: UnsafePointer<Float>, rows: Int) {
        let G = 4 * hiddenSize
        StepProfile.measure(.biases) {
            let dBias = self.dBias.reserve(G)
            dBias.update(repeating: 0, count: G)
            addColumnSums(dGates, rows: rows, columns: G, into: dBias)
            for j in 0..<G { gradBiasIH[j] += dBias[j]; gradBiasHH[j] += dBias[j] }
        }
    }

    private func packRecurrentWeightsForBackward() {
        let H = hiddenSize
        StepProfile.measure(.backwardRecurrentProducts) { packedBackward.pack(weightHH, k: 4 * H, n: H, strideK: H, strideN: 1) }
    }

    private func backwardGateKernels(rows m: Int, gates: UnsafePointer<Float>, dA: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                                     tanhCell: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>?,
                                     dc: UnsafeMutablePointer<Float>, step t: Int) {
        StepProfile.measure(.backwardGateKernels) {
            lstmchat_lstm_gates_backward(Int32(m), Int32(hiddenSize), gates, dA, cPrev, tanhCell, dh, dOutput, dc, lengths, Int32(t))
        }
    }

    private func backwardRecurrentProduct(rows m: Int, dA: UnsafePointer<Float>, into dhNext: UnsafeMutablePointer<Float>, packed: Bool) {
        let H = hiddenSize, G = 4 * H
        StepProfile.measure(.backwardRecurrentProducts) {
            if packed {
                dhNext.update(repeating: 0, count: m * H)
                packedBackward.multiplyAdd(m: m, a: dA, lda: G, c: dhNext, ldc: H)
            } else {
                gemm(m: m, n: H, k: G, a: dA, lda: G, b: weightHH, ldb: H, c: dhNext, ldc: H)
            }
        }
    }
}
