import CKernels
import Testing
@testable import LSTMChat

@Suite(.serialized) struct Int8MatrixTests {
    /// The kernels the CPU can run: 1 generic, 2 AVX2, 3 AVX-512 VNNI (`lstmchat_q8_force`).
    static let kernels: [Int32] = {
        let runnable = [Int32(1), 2, 3].filter { lstmchat_q8_force($0) != 0 }
        lstmchat_q8_force(0)
        return runnable
    }()

    static func random(_ count: Int, _ rng: inout Xoshiro256, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in (rng.nextFloat() - 0.5) * 2 * scale }
    }

    /// y = x·Wᵀ (+ bias, or + y) through `Int8Matrix` with the given kernel.
    static func product(_ matrix: QuantizedMatrix, _ x: [Float], m: Int, bias: [Float]?, start: [Float]?, kernel: Int32) -> [Float] {
        precondition(lstmchat_q8_force(kernel) != 0)
        defer { lstmchat_q8_force(0) }
        let int8 = Int8Matrix(matrix)
        var y = start ?? [Float](repeating: .nan, count: m * matrix.rows)
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                if let bias {
                    bias.withUnsafeBufferPointer {
                        int8.multiply(x.baseAddress!, m: m, bias: $0.baseAddress!, accumulate: false, into: y.baseAddress!, ldy: matrix.rows)
                    }
                } else {
                    int8.multiply(x.baseAddress!, m: m, bias: nil, accumulate: start != nil, into: y.baseAddress!, ldy: matrix.rows)
                }
            }
        }
        return y
    }

    static let shapes = [(1, 5, 3), (3, 20, 5), (4, 64, 8), (5, 70, 17), (9, 130, 33), (1, 2048, 512), (2, 4000, 512)]

    /// Every kernel gives the generic kernel's bits, with a bias, without, and adding into y;
    /// partial row blocks, partial panels and groups, k not a multiple of 4, and (the large
    /// shapes) the rows of W split over the threads.
    @Test(arguments: shapes)
    func everyKernelGivesTheSameBits(m: Int, n: Int, k: Int) {
        var rng = Xoshiro256(seed: UInt64(m * 7 + n * 3 + k))
        let w = Self.random(n * k, &rng), x = Self.random(m * k, &rng, scale: 3)
        let bias = Self.random(n, &rng), start = Self.random(m * n, &rng)
        let matrix = w.withUnsafeBufferPointer { QuantizedMatrix(quantizing: $0.baseAddress!, rows: n, columns: k) }
        for (b, s) in [(bias, nil), (nil, nil), (nil, start)] as [([Float]?, [Float]?)] {
            let reference = Self.product(matrix, x, m: m, bias: b, start: s, kernel: 1)
            for kernel in Self.kernels.dropFirst() {
                #expect(Self.product(matrix, x, m: m, bias: b, start: s, kernel: kernel) == reference, "kernel \(kernel)")
            }
        }
    }

    /// The int8 product is the float32 product within what rounding w and x to 255 levels each
    /// can change: per element, Σ_k |x_k|·s_w/2 + |w_k|·s_x/2 + s_w·s_x/4.
    @Test(arguments: shapes)
    func isTheFloatProductWithinItsRounding(m: Int, n: Int, k: Int) {
        var rng = Xoshiro256(seed: UInt64(m + n + k))
        let w = Self.random(n * k, &rng), x = Self.random(m * k, &rng, scale: 3), bias = Self.random(n, &rng)
        let matrix = w.withUnsafeBufferPointer { QuantizedMatrix(quantizing: $0.baseAddress!, rows: n, columns: k) }
        for kernel in Self.kernels {
            let y = Self.product(matrix, x, m: m, bias: bias, start: nil, kernel: kernel)
            var worst: Float = 0
            for r in 0..<m {
                let xs = (0..<k).map { abs(x[r * k + $0]) }.max()! / 127
                for j in 0..<n {
                    var exact: Double = Double(bias[j]), bound: Double = 1e-4
                    for p in 0..<k {
                        exact += Double(x[r * k + p]) * Double(w[j * k + p])
                        bound += Double(abs(x[r * k + p]) * matrix.scales[j] / 2 + abs(w[j * k + p]) * xs / 2 + matrix.scales[j] * xs / 4)
                    }
                    worst = max(worst, Float(abs(Double(y[r * n + j]) - exact) / bound))
                }
            }
            #expect(worst <= 1, "kernel \(kernel): error \(worst) of its bound")
        }
    }

    /// A matrix's int8 values are the float32 ones to within half their group's scale, each
    /// group's largest at ±127: one group a row (the kernels' matrices, and a group as long as the
    /// row or longer), or groups of a few columns, the last one shorter (attention's, per 32).
    @Test(arguments: [(nil, [6]), (11, [6]), (32, [6]), (4, [6, 3]), (5, [6, 3]), (1, [6, 11])] as [(Int?, [Int])])
    func quantizesEachGroupToItsOwnScale(groupSize: Int?, scaleShape: [Int]) {
        var rng = Xoshiro256(seed: 3)
        let rows = 6, columns = 11
        var w = Self.random(rows * columns, &rng)
        for k in 0..<columns { w[2 * columns + k] = 0 }  // a row of zeros
        for k in 0..<columns { w[4 * columns + k] *= 100 }  // a row of large values
        let matrix = w.withUnsafeBufferPointer { QuantizedMatrix(quantizing: $0.baseAddress!, rows: rows, columns: columns, groupSize: groupSize) }
        #expect(matrix.scaleShape == scaleShape && matrix.scales.count == scaleShape.reduce(1, *))
        let width = min(groupSize ?? columns, columns)
        var back = [Float](repeating: 0, count: rows * columns)
        back.withUnsafeMutableBufferPointer { matrix.dequantize(into: $0.baseAddress!) }
        for j in 0..<rows {
            for (g, first) in stride(from: 0, to: columns, by: width).enumerated() {
                let group = (first..<min(first + width, columns)).map { j * columns + $0 }
                let scale = matrix.scales[j * matrix.groupsPerRow + g]
                for i in group { #expect(abs(back[i] - w[i]) <= scale / 2 * 1.0001) }
                if j == 2 { #expect(scale == 1 && group.allSatisfy { matrix.values[$0] == 0 }) }
                else { #expect(group.map { abs(Int(matrix.values[$0])) }.max() == 127) }
            }
        }
        #expect(matrix.values.allSatisfy { $0 != -128 })
    }

    /// A matrix in groups of 32 columns (70 columns: 3 scales a row, the last for 6 columns),
    /// made again from its values and scales as a file's reader makes it, is the same matrix.
    @Test func aMatrixInGroupsRoundTripsThroughItsValuesAndScales() {
        var rng = Xoshiro256(seed: 5)
        let w = Self.random(3 * 70, &rng)
        let matrix = w.withUnsafeBufferPointer { QuantizedMatrix(quantizing: $0.baseAddress!, rows: 3, columns: 70, groupSize: 32) }
        #expect(matrix.groupSize == 32 && matrix.groupsPerRow == 3 && matrix.scaleShape == [3, 3])
        #expect(QuantizedMatrix(rows: 3, columns: 70, groupSize: 32, values: matrix.values, scales: matrix.scales) == matrix)
        let perRow = w.withUnsafeBufferPointer { QuantizedMatrix(quantizing: $0.baseAddress!, rows: 3, columns: 70) }
        #expect(perRow.groupSize == 70 && perRow.scales.count == 3 && perRow != matrix)
    }
}
