import Foundation

/// Softmax over the vocabulary and cross-entropy against the targets, fused with its gradient.
///
/// loss = Σ_n mask[n] · (logsumexp(z_n) − z_n[target_n]) / Σ_n mask[n]
/// dz_n = mask[n] · (softmax(z_n) − onehot(target_n)) / Σ mask
///
/// The max is subtracted before exp, so large logits never overflow.
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
        var total: Double = 0
        for n in 0..<rows {
            let z = logits + n * classes
            let m = mask[n]
            if m == 0 {
                dLogits.map { ($0 + n * classes).update(repeating: 0, count: classes) }
                continue
            }
            var maxZ = z[0]
            for j in 1..<classes where z[j] > maxZ { maxZ = z[j] }
            var sum: Float = 0
            if let d = dLogits.map({ $0 + n * classes }) {
                for j in 0..<classes { let e = expf(z[j] - maxZ); d[j] = e; sum += e }
                let scale = m / (sum * Float(counted))
                for j in 0..<classes { d[j] *= scale }
                d[Int(targets[n])] -= m / Float(counted)
            } else {
                for j in 0..<classes { sum += expf(z[j] - maxZ) }
            }
            total += Double(m) * (Double(logf(sum)) + Double(maxZ) - Double(z[Int(targets[n])]))
        }
        return Float(total / counted)
    }
}
