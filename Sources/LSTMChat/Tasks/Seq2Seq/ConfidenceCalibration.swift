import Foundation

/// A question put to the model for choosing a confidence threshold: its confidence, and whether
/// the model's greedy answer to it is right.
public struct ScoredQuestion: Equatable, Sendable {
    public var confidence: Float
    public var right: Bool
    public init(confidence: Float, right: Bool) {
        self.confidence = confidence
        self.right = right
    }
}

/// What a confidence threshold does on three sets of questions: unrelated ones (the fallback is
/// right for them), reworded corpus questions and the corpus's own. A question is answered when
/// its confidence is at least the threshold.
public struct ConfidenceTradeoff: Equatable, Sendable {
    public var threshold: Float
    /// Share of the unrelated questions that get the fallback.
    public var unrelatedRefused: Double
    /// Share of the reworded questions answered right: without a threshold, and with this one.
    public var rewordedRight: Double, rewordedRightAnswered: Double
    /// Share of the corpus questions answered right: without a threshold, and with this one.
    public var corpusRight: Double, corpusRightAnswered: Double

    /// Of the corpus questions answered right without a threshold, the share still answered.
    public var corpusRightKept: Double { corpusRight > 0 ? corpusRightAnswered / corpusRight : 1 }
    /// Points (percent of the reworded set) of right answers the threshold costs.
    public var rewordedPointsLost: Double { 100 * (rewordedRight - rewordedRightAnswered) }

    public init(threshold: Float, unrelated: [Float], reworded: [ScoredQuestion], corpus: [ScoredQuestion]) {
        func share(_ n: Int, of total: Int) -> Double { total > 0 ? Double(n) / Double(total) : 0 }
        self.threshold = threshold
        unrelatedRefused = share(unrelated.count(where: { $0 < threshold }), of: unrelated.count)
        rewordedRight = share(reworded.count(where: \.right), of: reworded.count)
        rewordedRightAnswered = share(reworded.count(where: { $0.right && $0.confidence >= threshold }), of: reworded.count)
        corpusRight = share(corpus.count(where: \.right), of: corpus.count)
        corpusRightAnswered = share(corpus.count(where: { $0.right && $0.confidence >= threshold }), of: corpus.count)
    }
}

/// Chooses the threshold below which a model gives the fallback instead of its answer:
///
/// the threshold that refuses the most unrelated questions while still answering at least
/// `corpusKept` of the corpus questions the model answers right, and losing at most
/// `rewordedPointsLost` points of right answers on the reworded questions; placed midway between
/// the most confident unrelated question it refuses and the next question above it, so that it
/// answers all it can for those refusals.
public enum ConfidenceCalibration {
    public static let corpusKept = 0.99
    public static let rewordedPointsLost = 5.0

    /// nil without unrelated questions (nothing says where to refuse) or when no threshold above 0
    /// refuses any without breaking the limits.
    public static func choose(unrelated: [Float], reworded: [ScoredQuestion], corpus: [ScoredQuestion],
                              corpusKept: Double = corpusKept, rewordedPointsLost: Double = rewordedPointsLost) -> Float? {
        guard !unrelated.isEmpty else { return nil }
        let all = (unrelated + reworded.map(\.confidence) + corpus.map(\.confidence)).sorted()
        func allowed(_ t: Float) -> Bool {
            let tradeoff = ConfidenceTradeoff(threshold: t, unrelated: unrelated, reworded: reworded, corpus: corpus)
            return tradeoff.corpusRightKept >= corpusKept - 1e-9 && tradeoff.rewordedPointsLost <= rewordedPointsLost + 1e-9
        }
        // A threshold just above an unrelated question refuses it and all below; the limits only
        // tighten as the threshold rises, so the best is the highest allowed one.
        var best: Float?
        for u in Set(unrelated).sorted(by: >) {
            let next = all[all.partitioningIndex { $0 > u }...].first  // the next confidence above u
            let t = next.map { (u + $0) / 2 } ?? u.nextUp
            if t > 0, allowed(t) { best = t; break }
        }
        return best
    }

    /// The tradeoff at each threshold of `thresholds`, for a table.
    public static func table(_ thresholds: [Float], unrelated: [Float], reworded: [ScoredQuestion],
                             corpus: [ScoredQuestion]) -> [ConfidenceTradeoff] {
        thresholds.map { ConfidenceTradeoff(threshold: $0, unrelated: unrelated, reworded: reworded, corpus: corpus) }
    }
}
