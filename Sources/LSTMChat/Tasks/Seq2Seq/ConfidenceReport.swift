import Foundation

/// How `eval --unrelated`, `calibrate` and `train` show what a confidence threshold does.
public enum ConfidenceReport {
    public static func number(_ threshold: Float) -> String { String(format: "%.3g", threshold) }

    /// "unrelated refused 86.1% · reworded right 20.0% → 18.9% (−1.1 points) · corpus right 95.5% → 95.2% (99.7% kept)"
    public static func line(_ t: ConfidenceTradeoff, _ scores: CalibrationSets.Scores) -> String {
        var parts: [String] = []
        if !scores.unrelated.isEmpty {
            parts.append(String(format: "unrelated refused %.1f%% of %d", 100 * t.unrelatedRefused, scores.unrelated.count))
        }
        if !scores.reworded.isEmpty {
            parts.append(String(format: "reworded right %.1f%% → %.1f%% of %d (%@ points)", 100 * t.rewordedRight,
                                100 * t.rewordedRightAnswered, scores.reworded.count, signed(-t.rewordedPointsLost) as NSString))
        }
        if !scores.corpus.isEmpty {
            parts.append(String(format: "corpus right %.1f%% → %.1f%% of %d (%.1f%% kept)", 100 * t.corpusRight,
                                100 * t.corpusRightAnswered, scores.corpus.count, 100 * t.corpusRightKept))
        }
        return parts.joined(separator: " · ")
    }

    /// "−1.1", "0.0", "+2.0"
    public static func signed(_ value: Double) -> String {
        let text = String(format: "%.1f", abs(value))
        return text == "0.0" ? text : (value < 0 ? "−" : "+") + text
    }

    /// The thresholds of the trade-off table, and the chosen one among them.
    /// One row per threshold as printed: the model's and the one chosen again may differ only in
    /// bits that are not shown (batched products round a little differently from one question's).
    public static func thresholds(adding extra: [Float?]) -> [Float] {
        var rows: [Float] = []
        for t in Set([0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5] + extra.compactMap { $0 }).sorted()
        where rows.last.map(number) != number(t) {
            rows.append(t)
        }
        return rows
    }

    public static func table(_ scores: CalibrationSets.Scores, thresholds: [Float]) -> String {
        var lines = ["  threshold  unrelated refused  reworded right answered  corpus right answered (kept)"]
        for t in thresholds.map(scores.tradeoff(at:)) {
            let threshold = number(t.threshold), padded = String(repeating: " ", count: max(0, 9 - threshold.count)) + threshold
            lines.append(String(format: "  %@  %16.1f%%  %22.1f%%  %12.1f%% (%5.1f%%)", padded as NSString,
                                100 * t.unrelatedRefused, 100 * t.rewordedRightAnswered, 100 * t.corpusRightAnswered, 100 * t.corpusRightKept))
        }
        return lines.joined(separator: "\n")
    }

    /// For each signal: the area under the ROC curve between unrelated questions and the corpus
    /// questions answered right, and the reworded ones answered right (nil where a set is empty).
    public static func separation(_ scores: CalibrationSets.Scores) -> [(name: String, corpus: Double?, reworded: Double?)] {
        guard let names = (scores.unrelated.first?.named.map(\.name)) else { return [] }
        let unrelated = scores.unrelated.map { $0.named.map(\.value) }
        let corpus = scores.corpus.filter(\.right).map { $0.signals.named.map(\.value) }
        let reworded = scores.reworded.filter(\.right).map { $0.signals.named.map(\.value) }
        return names.indices.map { i in
            func auc(_ right: [[Float]]) -> Double? {
                right.isEmpty ? nil : areaUnderCurve(positives: right.map { $0[i] }, negatives: unrelated.map { $0[i] })
            }
            return (names[i], auc(corpus), auc(reworded))
        }
    }

    public static func separationTable(_ rows: [(name: String, corpus: Double?, reworded: Double?)]) -> String {
        let width = rows.map(\.name.count).max() ?? 0
        func cell(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "  —  " }
        return (["  " + "signal".padding(toLength: width, withPad: " ", startingAt: 0) + "  corpus  reworded"]
                + rows.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(cell($0.corpus))   \(cell($0.reworded))" })
            .joined(separator: "\n")
    }
}
