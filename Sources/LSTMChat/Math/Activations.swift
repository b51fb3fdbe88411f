import Dispatch

/// Elementwise math eight floats at a time (SIMD8<Float>: two SSE or one AVX register).
///
/// exp is Cephes' expf: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2ⁿ put
/// straight into the exponent bits; within 2 ulp of libm up to e^88.376 ≈ 2.4e38, where it
/// saturates (so 2ⁿ stays a normal float). sigmoid and tanh are built on it (tanh near 0 by its
/// own odd polynomial, where 1 − 2/(e²ˣ+1) would cancel).
/// NaN stays NaN, so a diverged run is still caught.
typealias Float8 = SIMD8<Float>

@inline(__always) func exp(_ x: Float8) -> Float8 {
    var x = x.replacing(with: 88.3762626647949, where: x .> 88.3762626647949)
    x.replace(with: -87.3365447505531, where: x .< -87.3365447505531)  // keeps 2ⁿ a normal float
    // n = round(x / ln 2): adding 1.5·2²³ leaves the rounded integer in the low mantissa bits.
    let shifter: Float8 = .init(repeating: 12_582_912)
    let t = x * 1.44269504088896341 + shifter
    let n = t - shifter
    let r = x - n * 0.693359375 + n * 2.12194440e-4  // ln 2 in two parts, so r is exact
    var p: Float8 = .init(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    let exponent = (unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let scale = unsafeBitCast(exponent, to: Float8.self)
    return y * scale
}

@inline(__always) func sigmoid(_ x: Float8) -> Float8 { 1 / (1 + exp(-x)) }

@inline(__always) func tanh(_ x: Float8) -> Float8 {
    let large = 1 - 2 / (exp(x + x) + 1)
    let z = x * x
    var p: Float8 = .init(repeating: -5.70498872745e-3)
    p = p * z + 2.06390887954e-2
    p = p * z - 5.37397155531e-2
    p = p * z + 1.33314422036e-1
    p = p * z - 3.33332819422e-1
    let small = p * z * x + x
    return large.replacing(with: small, where: x .< 0.625 .& x .> -0.625)
}

/// Loads and stores of eight floats at p[i…]; `count` < 8 touches only the first `count`
/// (the tail of a row whose length is not a multiple of 8), the other lanes read as 0.
@inline(__always) func load8(_ p: UnsafePointer<Float>, _ i: Int, count: Int = 8) -> Float8 {
    if count == 8 { return UnsafeRawPointer(p + i).loadUnaligned(as: Float8.self) }
    var v = Float8()
    for k in 0..<count { v[k] = p[i + k] }
    return v
}

@inline(__always) func store8(_ v: Float8, _ p: UnsafeMutablePointer<Float>, _ i: Int, count: Int = 8) {
    if count == 8 { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Float8.self); return }
    for k in 0..<count { p[i + k] = v[k] }
}

/// Sum of squares in double precision (norms of large gradient vectors stay exact enough):
/// eight float lanes over blocks of 4,096, each block's sum added in double.
func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
    var total: Double = 0
    for start in stride(from: 0, to: count, by: 4096) {
        let end = min(start + 4096, count)
        var lanes = Float8()
        var i = start
        while i + 8 <= end { let v = load8(x, i); lanes += v * v; i += 8 }
        var block = Double(lanes.sum())
        while i < end { block += Double(x[i]) * Double(x[i]); i += 1 }
        total += block
    }
    return total
}

/// sums[j] += Σ_r x[r, j] over `rows` rows of `columns` floats (bias gradients).
func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = x + r * columns
        for j in stride(from: 0, to: columns, by: 8) {
            let k = min(8, columns - j)
            store8(load8(sums, j, count: k) + load8(row, j, count: k), sums, j, count: k)
        }
    }
}

/// Runs `body(range)` over `count` items split into contiguous parts, one per thread, in
/// parallel when the work is large enough to pay for it (the products are done meanwhile, so the cores are idle).
func parallelChunks(_ count: Int, minimumPerThread: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let parts = min(ThreadPolicy.threads, count / max(minimumPerThread, 1))
    guard parts > 1 else { body(0..<count); return }
    ThreadPolicy.parallel(parts) { p in
        body((count * p / parts)..<(count * (p + 1) / parts))
    }
}
