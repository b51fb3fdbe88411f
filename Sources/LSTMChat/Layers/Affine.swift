/// y = x · Wᵀ + b with W [out, in] and b [out] (PyTorch's `nn.Linear`), over `rows` rows at once.
struct Affine {
    let inputSize: Int
    let outputSize: Int
    let weight: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let weightGradient: UnsafeMutablePointer<Float>
    let biasGradient: UnsafeMutablePointer<Float>

    /// The model's output layer `NAME.weight` [out, in] and `NAME.bias` [out].
    init(_ parameters: Parameters, name: String, inputSize: Int, outputSize: Int) {
        let w = parameters.tensor(name + ".weight"), b = parameters.tensor(name + ".bias")
        self.init(inputSize: inputSize, outputSize: outputSize, weight: w.value, bias: b.value,
                  weightGradient: w.gradient, biasGradient: b.gradient)
    }

    init(inputSize: Int, outputSize: Int, weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
         weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.weight = weight
        self.bias = bias
        self.weightGradient = weightGradient
        self.biasGradient = biasGradient
    }

    /// The product first, then the bias: OpenBLAS is up to 25% slower when it must add into a
    /// large C (beta = 1) than when it writes C (beta = 0).
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        gemm(transB: true, m: rows, n: outputSize, k: inputSize,
             a: x, lda: inputSize, b: weight, ldb: inputSize, c: y, ldc: outputSize)
        addBias(to: y, rows: rows)
    }

    /// y += b on every row.
    private func addBias(to y: UnsafeMutablePointer<Float>, rows: Int) {
        let V = outputSize
        StepProfile.measure(.biases) {
            parallelChunks(rows, minimumPerThread: max(1, (1 << 16) / V)) { part in
                for r in part {
                    let row = y + r * V
                    for j in stride(from: 0, to: V, by: 8) {
                        let k = min(8, V - j)
                        store8(load8(row, j, count: k) + load8(bias, j, count: k), row, j, count: k)
                    }
                }
            }
        }
    }

    /// W packed once for `forward(_:rows:packed:into:)`: generation's few rows per step,
    /// against which BLAS would pack the whole W again at every call.
    func packedWeight() -> PackedMatrix {
        var packed = PackedMatrix()
        packed.pack(weight, k: inputSize, n: outputSize, strideK: 1, strideN: inputSize)
        return packed
    }

    /// y = x · Wᵀ + b on W packed by `packedWeight()`. Each row is summed in the same order
    /// whatever the number of rows: a row of a batch gets the scores it gets alone.
    func forward(_ x: UnsafePointer<Float>, rows: Int, packed: PackedMatrix, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (y + r * outputSize).update(from: bias, count: outputSize) }
        packed.multiplyAdd(m: rows, a: x, lda: inputSize, c: y, ldc: outputSize)
    }

    /// Accumulates dW += dyᵀ·x and db += Σ dy; writes dx = dy·W.
    func backward(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int, dx: UnsafeMutablePointer<Float>) {
        gemm(transA: true, m: outputSize, n: inputSize, k: rows,
             a: dy, lda: outputSize, b: x, ldb: inputSize, beta: 1, c: weightGradient, ldc: inputSize)
        addBiasGradient(dy, rows: rows)
        gemm(m: rows, n: inputSize, k: outputSize,
             a: dy, lda: outputSize, b: weight, ldb: inputSize, c: dx, ldc: inputSize)
    }

    /// db += Σ over rows of dy.
    private func addBiasGradient(_ dy: UnsafePointer<Float>, rows: Int) {
        StepProfile.measure(.biases) { addColumnSums(dy, rows: rows, columns: outputSize, into: biasGradient) }
    }
}
