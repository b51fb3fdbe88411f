import Testing
@testable import LSTMChat

@Suite struct PackedMatrixTests {
    /// C += A·B through the packed kernel equals the plain triple loop, for B given as a matrix
    /// (the backward's W_hh) and as a transpose (the forward's W_hhᵀ), with partial row blocks,
    /// partial panels and, for the large case, panels split over the threads.
    @Test(arguments: [(1, 5, 3), (3, 20, 5), (7, 16, 8), (13, 40, 17), (20, 512, 128), (64, 1024, 256)])
    func equalsThePlainProduct(m: Int, n: Int, k: Int) {
        var rng = Xoshiro256(seed: UInt64(m * 1000 + n))
        let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
        let w = (0..<(n * k)).map { _ in rng.nextFloat() - 0.5 }  // [n, k]: B = wᵀ
        let c0 = (0..<(m * n)).map { _ in rng.nextFloat() - 0.5 }
        var expected = c0
        for i in 0..<m { for j in 0..<n { for p in 0..<k { expected[i * n + j] += a[i * k + p] * w[j * k + p] } } }
        for transposed in [true, false] {
            var packed = PackedMatrix()
            // The same B either way: as wᵀ read with strides (1, k), or as an explicit [k, n] copy.
            let b = transposed ? w : (0..<(k * n)).map { w[($0 % n) * k + $0 / n] }
            b.withUnsafeBufferPointer {
                if transposed { packed.pack($0.baseAddress!, k: k, n: n, strideK: 1, strideN: k) }
                else { packed.pack($0.baseAddress!, k: k, n: n, strideK: n, strideN: 1) }
            }
            var c = c0
            a.withUnsafeBufferPointer { a in
                c.withUnsafeMutableBufferPointer { packed.multiplyAdd(m: m, a: a.baseAddress!, lda: k, c: $0.baseAddress!, ldc: n) }
            }
            for i in 0..<(m * n) { #expect(abs(c[i] - expected[i]) <= 1e-4 * Float(k), "\(transposed) \(i)") }
        }
    }
}
