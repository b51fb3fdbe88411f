import Foundation

/// Softmax over the vocabulary and cross-entropy against the targets, fused with its gradient.
///
/// loss = Σ_n mask[n] · (logsumexp(z_n) − z_n[target_n]) / Σ_n mask[n]
/// dz_n = mask[n] · (softmax(z_n) − onehot(target_n)) / Σ mask
///
/// The max is subtracted before exp, so large logits never overflow. Rows are independent:
/// they are split over the BLAS threads, and each row's loss is kept apart and summed in
/// order afterwards, so the result does not depend on the number of threads.
enum SoftmaxCrossEntropy {
    /// Returns the mean loss over counted rows; writes the gradient if `dLogits` is given.
    /// Rows whose mask is 0 get a zero gradient and are never read past their max.
    static func forward(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, mask: UnsafePointer<Float>,
        rows: Int, classes: Int, dLogits: UnsafeMutablePointer<Float>?
    ) -> Float {
        var counted: Double = 0
        for n in 0..<rows { counted += Double(mask[n]) }
        guard counted > 0 else {
            dLogits?.update(repeating: 0, count: rows * classes)
            return 0
        }
        let V = classes
        let rowLosses = UnsafeMutablePointer<Double>.allocate(capacity: rows)  // one small block per batch
        defer { rowLosses.deallocate() }
        parallelChunks(rows, minimumPerThread: max(1, (1 << 16) / V)) { part in
            for n in part {
                let z = logits + n * V, m = mask[n]
                rowLosses[n] = 0
                if m == 0 {
                    dLogits.map { ($0 + n * V).update(repeating: 0, count: V) }
                    continue
                }
                var lanes = Float8(repeating: -.infinity)
                for j in stride(from: 0, to: V, by: 8) {
                    let k = min(8, V - j)
                    lanes = pointwiseMax(lanes, k == 8 ? load8(z, j) : load8(z, j, count: k) + tailPadding(k))
                }
                let maxZ = lanes.max()
                // exp(z − max), kept in dLogits when the gradient is wanted, and its sum.
                let d = dLogits.map { $0 + n * V }
                var sums = Float8()
                for j in stride(from: 0, to: V, by: 8) {
                    let k = min(8, V - j), e = exp(load8(z, j, count: k) - maxZ)
                    let kept = k == 8 ? e : e.replacing(with: 0, where: lanesFrom(k))
                    if let d { store8(kept, d, j, count: k) }
                    sums += kept
                }
                let sum = sums.sum(), target = Int(targets[n])
                rowLosses[n] = Double(m) * (Double(log(sum)) + Double(maxZ) - Double(z[target]))
                guard let d else { continue }
                let scale = m / (sum * Float(counted))
                for j in stride(from: 0, to: V, by: 8) {
                    let k = min(8, V - j)
                    store8(load8(d, j, count: k) * scale, d, j, count: k)
                }
                d[target] -= m / Float(counted)
            }
        }
        var total: Double = 0
        for n in 0..<rows { total += rowLosses[n] }
        return Float(total / counted)
    }

    /// −∞ in lanes k… of a partial load, so they never win the max.
    @inline(__always) private static func tailPadding(_ k: Int) -> Float8 {
        Float8().replacing(with: -.infinity, where: lanesFrom(k))
    }

    /// Lanes k…7.
    @inline(__always) private static func lanesFrom(_ k: Int) -> SIMDMask<SIMD8<Int32>> {
        SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(k))
    }
}
