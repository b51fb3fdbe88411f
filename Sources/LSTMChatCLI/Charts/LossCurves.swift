import Foundation
import LSTMChat

/// A point of a chart in data units: x is the step (or the epoch, for logs without steps), y the value.
struct ChartPoint: Equatable {
    var x: Double
    var y: Double
}

/// What the charts draw for one loss log: its series with the NaN and infinite values left out,
/// thinned to a number of points a chart can draw.
struct LossCurves {
    /// The log's file name, which labels the run in a legend.
    var name: String
    var loss: [ChartPoint]
    /// The loss averaged over a window centred on each step, so that it does not lag behind.
    var smoothedLoss: [ChartPoint]
    var smoothingWindow: Int
    var validationLoss: [ChartPoint]
    var learningRate: [ChartPoint]
    /// The greedy exact match on the training questions after each epoch (logs from before it have none).
    var exactMatch: [ChartPoint]
    /// A language model's validation bits per character, or perplexity (word models), after each epoch.
    var validationBitsPerCharacter: [ChartPoint]
    var validationPerplexity: [ChartPoint]
    var summary: String
    /// What x counts: "step", or "epoch" for a log with no step column (Keras' `CSVLogger`).
    var xLabel: String

    /// The lower panel's series: what the model learned when any run logged it (the exact match
    /// of a chatbot; a language model's validation bits per character, or perplexity), else the
    /// learning rate, which only follows its schedule.
    static func lowerPanel(of runs: [LossCurves]) -> (title: String, series: [[ChartPoint]]) {
        if runs.contains(where: { !$0.exactMatch.isEmpty }) { return ("exact match", runs.map(\.exactMatch)) }
        if runs.contains(where: { !$0.validationBitsPerCharacter.isEmpty }) {
            return ("val. bits per char", runs.map(\.validationBitsPerCharacter))
        }
        if runs.contains(where: { !$0.validationPerplexity.isEmpty }) { return ("val. perplexity", runs.map(\.validationPerplexity)) }
        return ("learning rate", runs.map(\.learningRate))
    }

    /// The lowest validation loss (thinning keeps every run of points' lowest).
    var bestValidationLoss: Double? { validationLoss.map(\.y).min() }

    /// At most this many points per series: more than a chart's pixels, few enough to draw fast.
    static let maxPoints = 2000

    init(name: String, rows: [LossLogRow], maxPoints: Int = LossCurves.maxPoints) {
        let hasSteps = rows.contains { $0.step != nil }
        xLabel = hasSteps ? "step" : "epoch"
        func points(_ value: (LossLogRow) -> Float?) -> [ChartPoint] {
            rows.compactMap { row in
                guard let x = hasSteps ? row.step : row.epoch, let y = value(row), y.isFinite else { return nil }
                return ChartPoint(x: Double(x), y: Double(y))
            }
        }
        let loss = points(\.loss)
        // About fifty windows across the run: smooth enough to see the trend, short enough to keep its bends.
        smoothingWindow = 2 * (loss.count / 100) + 1
        self.name = name
        self.loss = Self.thinned(loss, to: maxPoints)
        smoothedLoss = Self.thinned(Self.centredMovingAverage(loss, window: smoothingWindow), to: maxPoints)
        validationLoss = Self.thinned(points(\.validationLoss), to: maxPoints)
        learningRate = Self.thinned(points(\.learningRate), to: maxPoints)
        exactMatch = Self.thinned(points(\.exactMatch), to: maxPoints)
        validationBitsPerCharacter = Self.thinned(points(\.validationBitsPerCharacter), to: maxPoints)
        validationPerplexity = Self.thinned(points(\.validationPerplexity), to: maxPoints)
        summary = Self.summary(of: rows)
    }

    /// Each point's y replaced by the mean over `window` points centred on it. Near the ends the
    /// window is cut short rather than narrowed: a narrow window would end the curve in noise.
    static func centredMovingAverage(_ points: [ChartPoint], window: Int) -> [ChartPoint] {
        let half = window / 2
        var prefixSums = [0.0]
        prefixSums.reserveCapacity(points.count + 1)
        for point in points { prefixSums.append(prefixSums.last! + point.y) }
        return points.indices.map { i in
            let lower = max(0, i - half), upper = min(points.count, i + half + 1)
            return ChartPoint(x: points[i].x, y: (prefixSums[upper] - prefixSums[lower]) / Double(upper - lower))
        }
    }

    /// At most `limit` points: the lowest and highest of each run of neighbours, in step order,
    /// so that spikes survive the thinning.
    static func thinned(_ points: [ChartPoint], to limit: Int) -> [ChartPoint] {
        guard points.count > limit else { return points }
        let buckets = max(1, limit / 2)
        var kept: [ChartPoint] = []
        kept.reserveCapacity(2 * buckets)
        for bucket in 0..<buckets {
            let slice = points[(bucket * points.count / buckets)..<((bucket + 1) * points.count / buckets)]
            guard let low = slice.indices.min(by: { points[$0].y < points[$1].y }),
                  let high = slice.indices.max(by: { points[$0].y < points[$1].y }) else { continue }
            kept.append(points[min(low, high)])
            if low != high { kept.append(points[max(low, high)]) }
        }
        return kept
    }

    /// The x axis's caption: "step", unless every run counts epochs.
    static func xLabel(of runs: [LossCurves]) -> String {
        runs.allSatisfy { $0.xLabel == "epoch" } ? "epoch" : "step"
    }

    /// The chart's title: "Training loss — run.csv", or "Training loss — 3 runs".
    static func title(of runs: [LossCurves]) -> String {
        "Training loss — " + (runs.count == 1 ? runs[0].name : "\(runs.count) runs")
    }

    /// One line about the run: "1,200 steps · 3 epochs · 8m 12s · best validation loss 3.21 (accuracy 41.3%) at epoch 3".
    /// What the log does not record is left out.
    static func summary(of rows: [LossLogRow]) -> String {
        guard let last = rows.last else { return "" }
        var parts: [String] = []
        if let step = last.step { parts.append(step == 1 ? "1 step" : "\(grouped(step)) steps") }
        if let epoch = last.epoch { parts.append(epoch == 1 ? "1 epoch" : "\(epoch) epochs") }
        if let elapsed = last.elapsedSeconds { parts.append(duration(elapsed)) }
        let validated = rows.filter { $0.validationLoss?.isFinite == true }
        if let best = validated.min(by: { $0.validationLoss! < $1.validationLoss! }) {
            var text = "best validation loss " + String(format: "%.3f", best.validationLoss!)
            var figures: [String] = []
            if let bits = best.validationBitsPerCharacter, bits.isFinite { figures.append(String(format: "%.3f bits per character", bits)) }
            if let perplexity = best.validationPerplexity, perplexity.isFinite { figures.append(String(format: "perplexity %.2f", perplexity)) }
            if let accuracy = best.validationAccuracy, accuracy.isFinite { figures.append(String(format: "accuracy %.1f%%", accuracy * 100)) }
            if !figures.isEmpty { text += " (" + figures.joined(separator: ", ") + ")" }
            parts.append(text + (best.epoch.map { " at epoch \($0)" } ?? ""))
        }
        if let measured = rows.last(where: { $0.exactMatch?.isFinite == true }) {
            parts.append(String(format: "exact match %.1f%%", 100 * measured.exactMatch!) + " at epoch \(measured.epoch ?? 0)")
        }
        return parts.joined(separator: " · ")
    }

    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return number < 0 ? "-" + result : result
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return String(format: "%.1fs", seconds) }
        if whole < 3600 { return "\(whole / 60)m \(whole % 60)s" }
        return "\(whole / 3600)h \(whole % 3600 / 60)m"
    }
}
