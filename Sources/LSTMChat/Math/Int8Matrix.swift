import CKernels

/// A weight matrix W [rows, columns] quantized to int8, a float32 scale per group of
/// `groupSize` columns of a row (the whole row, for the matrices the int8 kernels multiply):
/// W[j, k] ≈ values[j·columns + k] · scales[j·groupsPerRow + k / groupSize], values in −127…127
/// (round to nearest, the group's largest magnitude at ±127). What a quantized checkpoint
/// stores (docs/quantization.md).
public struct QuantizedMatrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public let groupSize: Int
    public let values: [Int8]
    public let scales: [Float]

    /// Scales of a row: ⌈columns / groupSize⌉.
    public var groupsPerRow: Int { Self.groups(columns, groupSize) }
    static func groups(_ columns: Int, _ groupSize: Int) -> Int { (columns + groupSize - 1) / groupSize }

    /// The shape of its scales in a file: [rows] for one a row, else [rows, groupsPerRow].
    public static func scaleShape(rows: Int, columns: Int, groupSize: Int) -> [Int] {
        groupSize >= columns ? [rows] : [rows, groups(columns, groupSize)]
    }

    public var scaleShape: [Int] { Self.scaleShape(rows: rows, columns: columns, groupSize: groupSize) }

    /// `groupSize` nil or the row's length or more: one scale a row.
    public init(rows: Int, columns: Int, groupSize: Int? = nil, values: [Int8], scales: [Float]) {
        let groupSize = min(groupSize ?? columns, columns)
        precondition(groupSize > 0 && values.count == rows * columns && scales.count == rows * Self.groups(columns, groupSize))
        self.rows = rows; self.columns = columns; self.groupSize = groupSize; self.values = values; self.scales = scales
    }

    /// Quantizes a row-major float matrix, a group of columns at a time (the same rounding as
    /// the kernels' activations).
    public init(quantizing w: UnsafePointer<Float>, rows: Int, columns: Int, groupSize: Int? = nil) {
        let groupSize = min(groupSize ?? columns, columns), groups = Self.groups(columns, groupSize)
        var values = [Int8](repeating: 0, count: rows * columns), scales = [Float](repeating: 0, count: rows * groups)
        for g in 0..<groups {
            let first = g * groupSize, width = min(groupSize, columns - first), padded = Int(lstmchat_q8_padded_k(Int32(width)))
            var groupValues = [Int8](repeating: 0, count: rows * padded), groupScales = [Float](repeating: 0, count: rows)
            lstmchat_q8_quantize_rows(Int32(rows), Int32(width), w + first, columns, &groupValues, &groupScales)
            for j in 0..<rows {
                for k in 0..<width { values[j * columns + first + k] = groupValues[j * padded + k] }
                scales[j * groups + g] = groupScales[j]
            }
        }
        self.init(rows: rows, columns: columns, groupSize: groupSize, values: values, scales: scales)
    }

    /// W as float32 again, values · scale, into `w` [rows, columns].
    public func dequantize(into w: UnsafeMutablePointer<Float>) {
        let groups = groupsPerRow
        for j in 0..<rows {
            for k in 0..<columns { w[j * columns + k] = Float(values[j * columns + k]) * scales[j * groups + k / groupSize] }
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
        precondition(matrix.groupSize == matrix.columns, "the int8 kernels take one scale a row")
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
