import CKernels

/// The adaptive softmax of Grave et al. (2017), as PyTorch's `nn.AdaptiveLogSoftmaxWithLoss`
/// (div_value 4, no head bias): a softmax over a large vocabulary whose ids run from most to
/// least frequent, at a fraction of the cost of the full one.
///
///     head:       x · headᵀ → [shortlist words | one score per tail cluster]      (K = cutoffs[0] + clusters)
///     cluster i:  x · down_iᵀ → [H / 4^(i+1)] → · out_iᵀ → [words of cluster i]
///     log p(w) = log softmax(head)[w]                                   (w in the shortlist)
///              = log softmax(head)[cutoffs[0] + i] + log softmax(cluster i)[w − start_i]
///
/// Training computes the head for every row but a cluster only for the rows whose target falls
/// in it: with Zipf-distributed words most targets are in the shortlist, so a step costs a
/// product of K columns instead of V. `logProbabilities` computes every cluster for every row:
/// the full, exact distribution that decoding reads.
final class AdaptiveSoftmax {
    /// PyTorch's default: each tail cluster's projection is the previous one's size / 4.
    static let divValue = 4

    /// PyTorch's `int(in_features // (div_value ** (i + 1)))`.
    static func projectionSize(hidden: Int, cluster i: Int) -> Int {
        (0...i).reduce(hidden) { size, _ in size / divValue }
    }

    struct Cluster {
        let start: Int, size: Int, projection: Int
        let down: UnsafeMutablePointer<Float>, downGradient: UnsafeMutablePointer<Float>  // [projection, H]
        let out: UnsafeMutablePointer<Float>, outGradient: UnsafeMutablePointer<Float>    // [size, projection]
    }

    let inputSize: Int, vocabSize: Int
    let shortlist: Int
    let head: UnsafeMutablePointer<Float>, headGradient: UnsafeMutablePointer<Float>      // [K, H]
    let clusters: [Cluster]
    var headSize: Int { shortlist + clusters.count }

    private var headScores = Workspace()                                // [n, K]: scores, then their gradient
    private var rowsIn: [[Int]]                                         // per cluster: the rows whose target is in it
    private var clusterTargets: [Int32] = [], clusterMask: [Float] = []
    private var gathered = Workspace(), projected = Workspace()         // [n_i, H], [n_i, p_i]
    private var clusterScores = Workspace()                             // [n_i, size_i]: the same
    private var dProjected = Workspace()                                // [n_i, p_i]
    private var dGathered = Workspace()                                 // [n_i, H]
    private var rowLosses: [Double] = []

    /// The layer `NAME.head.weight`, `NAME.tail.i.0.weight`, `NAME.tail.i.1.weight` of `parameters`.
    init(_ parameters: Parameters, name: String, inputSize: Int, vocabSize: Int, cutoffs: [Int]) {
        self.inputSize = inputSize
        self.vocabSize = vocabSize
        shortlist = cutoffs[0]
        (head, headGradient) = parameters.tensor(name + ".head.weight")
        clusters = zip(cutoffs, cutoffs.dropFirst() + [vocabSize]).enumerated().map { i, bounds in
            let down = parameters.tensor("\(name).tail.\(i).0.weight"), out = parameters.tensor("\(name).tail.\(i).1.weight")
            return Cluster(start: bounds.0, size: bounds.1 - bounds.0, projection: AdaptiveSoftmax.projectionSize(hidden: inputSize, cluster: i),
                           down: down.value, downGradient: down.gradient, out: out.value, outGradient: out.gradient)
        }
        rowsIn = Array(repeating: [], count: cutoffs.count)
    }

    /// The cluster of token `t` (nil: the shortlist).
    private func cluster(of t: Int) -> Int? {
        guard t >= shortlist else { return nil }
        return clusters.lastIndex { $0.start <= t }
    }

    // MARK: - Training

    /// The mean of mask[r] · −log p(targets[r] | x_r) over the rows, divided by Σ mask, as
    /// `SoftmaxCrossEntropy`; with `dx`, accumulates the weight gradients and writes dx [n, H].
    func loss(_ x: UnsafePointer<Float>, rows n: Int, targets: UnsafePointer<Int32>, mask: UnsafePointer<Float>,
              dx: UnsafeMutablePointer<Float>?) -> Float {
        let H = inputSize, K = headSize
        var counted: Double = 0
        for r in 0..<n { counted += Double(mask[r]) }
        guard counted > 0 else { dx?.update(repeating: 0, count: n * H); return 0 }
        if rowLosses.count < n { rowLosses = Array(repeating: 0, count: n) }
        for i in clusters.indices { rowsIn[i].removeAll(keepingCapacity: true) }
        for r in 0..<n { if let i = cluster(of: Int(targets[r])) { rowsIn[i].append(r) } }

        // The head: every row's target is a shortlist word or the score of its cluster.
        let scores = headScores.reserve(n * K)
        gemm(transB: true, m: n, n: K, k: H, a: x, lda: H, b: head, ldb: H, c: scores, ldc: K)
        // The gradient is written over the scores (each row's read before it is written): a
        // batch of 640 tokens' 2,002 head scores is 5 MB, not held twice.
        let dScores = dx.map { _ in scores }
        rowLosses.withUnsafeMutableBufferPointer { losses in
            parallelChunks(n, minimumPerThread: max(1, (1 << 16) / K)) { part in
                for r in part {
                    let t = Int(targets[r]), target = cluster(of: t).map { shortlist + $0 } ?? t
                    losses[r] = Self.crossEntropy(scores + r * K, count: K, target: target, weight: mask[r], counted: counted,
                                                  gradient: dScores.map { $0 + r * K })
                }
            }
        }
        if let dx, let dScores {
            gemm(transA: true, m: K, n: H, k: n, a: dScores, lda: K, b: x, ldb: H, beta: 1, c: headGradient, ldc: H)
            gemm(m: n, n: H, k: K, a: dScores, lda: K, b: head, ldb: H, c: dx, ldc: H)
        }
        var total = rowLosses[0..<n].reduce(0, +)
        for i in clusters.indices {
            // A few rows at a time, so that the scores of a 40,000-word cluster take 2 MB, not
            // 40,000 floats for every row whose target is in it (tens of MB).
            let chunk = max(1, clusterScoresBudget / clusters[i].size)
            for start in stride(from: 0, to: rowsIn[i].count, by: chunk) {
                total += clusterLoss(i, rows: start..<min(start + chunk, rowsIn[i].count), x, targets: targets, mask: mask,
                                     counted: counted, dx: dx)
            }
        }
        return Float(total / counted)
    }

    /// The most scores a cluster computes at once (floats): 2 MB.
    var clusterScoresBudget = 1 << 19

    /// The loss of `part` of the rows whose target is in cluster i, given their head term is
    /// counted: −log softmax(cluster)[target], through the cluster's projection; with `dx`, its
    /// gradients.
    private func clusterLoss(_ i: Int, rows part: Range<Int>, _ x: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                             mask: UnsafePointer<Float>, counted: Double, dx: UnsafeMutablePointer<Float>?) -> Double {
        let c = clusters[i], rows = rowsIn[i][part], m = rows.count, H = inputSize, P = c.projection, S = c.size
        let xi = gathered.reserve(m * H)
        clusterTargets.removeAll(keepingCapacity: true)
        clusterMask.removeAll(keepingCapacity: true)
        for (j, r) in rows.enumerated() {
            (xi + j * H).update(from: x + r * H, count: H)
            clusterTargets.append(targets[r] - Int32(c.start))
            clusterMask.append(mask[r])
        }
        let hidden = projected.reserve(m * P), scores = clusterScores.reserve(m * S)
        gemm(transB: true, m: m, n: P, k: H, a: xi, lda: H, b: c.down, ldb: H, c: hidden, ldc: P)
        gemm(transB: true, m: m, n: S, k: P, a: hidden, lda: P, b: c.out, ldb: P, c: scores, ldc: S)
        let dScores = dx.map { _ in scores }
        let loss = clusterTargets.withUnsafeBufferPointer { t in
            clusterMask.withUnsafeBufferPointer { w in
                rowLosses.withUnsafeMutableBufferPointer { losses in
                    parallelChunks(m, minimumPerThread: max(1, (1 << 16) / S)) { part in
                        for j in part {
                            losses[j] = Self.crossEntropy(scores + j * S, count: S, target: Int(t[j]), weight: w[j],
                                                          counted: counted, gradient: dScores.map { $0 + j * S })
                        }
                    }
                    return losses[0..<m].reduce(0, +)
                }
            }
        }
        guard let dx, let dScores else { return loss }
        // Back through out_i, then down_i, then added into the rows' dx.
        let dHidden = dProjected.reserve(m * P), dxi = dGathered.reserve(m * H)
        gemm(transA: true, m: S, n: P, k: m, a: dScores, lda: S, b: hidden, ldb: P, beta: 1, c: c.outGradient, ldc: P)
        gemm(m: m, n: P, k: S, a: dScores, lda: S, b: c.out, ldb: P, c: dHidden, ldc: P)
        gemm(transA: true, m: P, n: H, k: m, a: dHidden, lda: P, b: xi, ldb: H, beta: 1, c: c.downGradient, ldc: H)
        gemm(m: m, n: H, k: P, a: dHidden, lda: P, b: c.down, ldb: H, c: dxi, ldc: H)
        for (j, r) in rows.enumerated() {
            let d = dx + r * H, e = dxi + j * H
            for k in 0..<H { d[k] += e[k] }
        }
        return loss
    }

    /// weight · −log softmax(z)[target], and with `gradient` its gradient / counted (0 for a row of weight 0).
    private static func crossEntropy(_ z: UnsafePointer<Float>, count: Int, target: Int, weight: Float, counted: Double,
                              gradient: UnsafeMutablePointer<Float>?) -> Double {
        guard weight != 0 else { gradient?.update(repeating: 0, count: count); return 0 }
        return lstmchat_softmax_cross_entropy_row(Int32(count), z, Int32(target), weight, Float(counted), gradient)
    }

    // MARK: - Inference

    /// log p(w | x_r) for every word w of every row: out [n, V] (PyTorch's `log_prob`). A
    /// softmax over them gives the same distribution again, so decoders read them as logits.
    func logProbabilities(_ x: UnsafePointer<Float>, rows n: Int, into out: UnsafeMutablePointer<Float>) {
        let H = inputSize, K = headSize, V = vocabSize
        let scores = headScores.reserve(n * K)
        gemm(transB: true, m: n, n: K, k: H, a: x, lda: H, b: head, ldb: H, c: scores, ldc: K)
        for r in 0..<n {
            Self.logSoftmax(scores + r * K, count: K)
            (out + r * V).update(from: scores + r * K, count: shortlist)
        }
        for (i, c) in clusters.enumerated() {
            // Each cluster's scores go straight into their columns of `out` (row stride V).
            let hidden = projected.reserve(n * c.projection)
            gemm(transB: true, m: n, n: c.projection, k: H, a: x, lda: H, b: c.down, ldb: H, c: hidden, ldc: c.projection)
            gemm(transB: true, m: n, n: c.size, k: c.projection, a: hidden, lda: c.projection, b: c.out, ldb: c.projection,
                 c: out + c.start, ldc: V)
            for r in 0..<n {
                let row = out + r * V + c.start
                Self.logSoftmax(row, count: c.size, plus: scores[r * K + shortlist + i])
            }
        }
    }

    /// z ← log softmax(z) + offset, in place.
    private static func logSoftmax(_ z: UnsafeMutablePointer<Float>, count: Int, plus offset: Float = 0) {
        // The kernel's loss for target 0 with weight 1 is logsumexp(z) − z[0]: the normalizer,
        // found with the vectorized exp of the training step.
        let logSum = Float(lstmchat_softmax_cross_entropy_row(Int32(count), z, 0, 1, 1, nil)) + z[0]
        let shift = offset - logSum
        for j in 0..<count { z[j] += shift }
    }
}
