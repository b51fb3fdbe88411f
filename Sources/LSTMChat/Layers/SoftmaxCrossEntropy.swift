import CKernels

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
            for n in part {  // one row: Sources/CKernels/elementwise.c
                let d = dLogits.map { $0 + n * V }
                if mask[n] == 0 {
                    rowLosses[n] = 0
                    d?.update(repeating: 0, count: V)
                    continue
                }
                rowLosses[n] = lstmchat_softmax_cross_entropy_row(
                    Int32(V), logits + n * V, targets[n], mask[n], Float(counted), d)
            }
        }
        var total: Double = 0
        for n in 0..<rows { total += rowLosses[n] }
        return Float(total / counted)
    }
}
