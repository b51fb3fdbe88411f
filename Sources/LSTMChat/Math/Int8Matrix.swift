import CKernels

/// A weight matrix W [rows, columns] quantized to int8, one float32 scale per row:
/// W[j, k] ≈ values[j·columns + k] · scales[j], values in −127…127 (round to nearest, the row's
/// largest magnitude at ±127). What a quantized checkpoint stores (docs/quantization.md).
public struct QuantizedMatrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public let values: [Int8]
    public let scales: [Float]

    public init(rows: Int, columns: Int, values: [Int8], scales: [Float]) {
        precondition(values.count == rows * columns && scales.count == rows)
        self.rows = rows; self.columns = columns; self.values = values; self.scales = scales
    }

    /// Quantizes a row-major float matrix (the same rounding as the kernels' activations).
    public init(quantizing w: UnsafePointer<Float>, rows: Int, columns: Int) {
        let padded = Int(lstmchat_q8_padded_k(Int32(columns)))
        var packedRows = [Int8](repeating: 0, count: rows * padded), scales = [Float](repeating: 0, count: rows)
        lstmchat_q8_quantize_rows(Int32(rows), Int32(columns), w, columns, &packedRows, &scales)
        var values = [Int8](repeating: 0, count: rows * columns)
        for j in 0..<rows { for k in 0..<columns { values[j * columns + k] = packedRows[j * padded + k] } }
        self.init(rows: rows, columns: columns, values: values, scales: scales)
    }

    /// W as float32 again, values · scale, into `w` [rows, columns].
    public func dequantize(into w: UnsafeMutablePointer<Float>) {
        for j in 0..<rows {
            let s = scales[j]
            for k in 0..<columns { w[j * columns + k] = Float(values[j * columns + k]) * s }
        }
    }
}

/// A `QuantizedMatrix` packed once for the int8 kernels (Sources/CKernels/quantized.c: AVX-512
/// VNNI, AVX2 or plain C, chosen at the first call), for generation's products y = x · Wᵀ (+ b):
/// each row of x is quantized to int8 with a scale of its own as it comes (dynamic quantization),
/// the dot products summed exactly in int32, then scaled back to float32. A token's step reads a
/// quarter of the bytes the float32 weights take, and those stay in the cache.
final class Int8Matrix {
    let rows: Int, columns: Int
    private let packed: UnsafeMutablePointer<Int8>
    private let rowSums: UnsafeMutablePointer<Int32>
    private let scales: UnsafeMutablePointer<Float>
    private var xq: UnsafeMutablePointer<Int8>, xScale: UnsafeMutablePointer<Float>
    private var capacity = 0  // rows of x that xq and xScale hold

    init(_ matrix: QuantizedMatrix) {
        rows = matrix.rows; columns = matrix.columns
        let panelRows = (rows + 63) / 64 * 64
        let packed = UnsafeMutablePointer<Int8>.allocate(capacity: lstmchat_q8_packed_bytes(Int32(rows), Int32(columns)))
        let rowSums = UnsafeMutablePointer<Int32>.allocate(capacity: panelRows)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: panelRows)
        scales.initialize(repeating: 0, count: panelRows)
        matrix.scales.withUnsafeBufferPointer { scales.update(from: $0.baseAddress!, count: matrix.rows) }
        matrix.values.withUnsafeBufferPointer { lstmchat_q8_pack($0.baseAddress, Int32(matrix.rows), Int32(matrix.columns), packed, rowSums) }
        self.packed = packed; self.rowSums = rowSums; self.scales = scales
        xq = .allocate(capacity: 1); xScale = .allocate(capacity: 1)
    }

    deinit {
        packed.deallocate(); rowSums.deallocate(); scales.deallocate(); xq.deallocate(); xScale.deallocate()
    }

    /// y[m, rows] = x[m, columns] · Wᵀ, plus `bias` [rows] (nil: none), or added to y when
    /// `accumulate`. Row r of y at y + r·ldy.
    func multiply(_ x: UnsafePointer<Float>, m: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                  into y: UnsafeMutablePointer<Float>, ldy: Int) {
        let padded = Int(lstmchat_q8_padded_k(Int32(columns)))
        if m > capacity {
            xq.deallocate(); xScale.deallocate()
            xq = .allocate(capacity: m * padded); xScale = .allocate(capacity: m)
            capacity = m
        }
        lstmchat_q8_quantize_rows(Int32(m), Int32(columns), x, columns, xq, xScale)
        // Split by groups of 64 rows of W (the VNNI kernel's block); a product reads each weight
        // byte once per 4 rows of x, so memory sets its time and it pays to split early.
        let groups = (rows + 63) / 64
        let parts = min(ThreadPolicy.threads(forFlops: 8 * m * rows * columns), groups)
        let (m32, n32, k32, add) = (Int32(m), Int32(rows), Int32(columns), Int32(accumulate ? 1 : 0))
        let (xq, xScale, packed, rowSums, scales) = (UnsafePointer(xq), UnsafePointer(xScale), UnsafePointer(packed),
                                                     UnsafePointer(rowSums), UnsafePointer(scales))
        guard parts > 1 else {
            lstmchat_q8_gemm(m32, 0, n32, n32, k32, xq, xScale, packed, rowSums, scales, bias, add, y, ldy)
            return
        }
        ThreadPolicy.parallel(parts) { p in
            let first = Int32(64 * (groups * p / parts)), last = Int32(min(rows, 64 * (groups * (p + 1) / parts)))
            lstmchat_q8_gemm(m32, first, last, n32, k32, xq, xScale, packed, rowSums, scales, bias, add, y, ldy)
        }
    }

    /// The instruction set of the int8 kernel ("AVX-512 VNNI", "AVX2" or "generic").
    static var instructionSet: String { String(cString: lstmchat_q8_isa()) }
}
