/// How well a classifier labels texts: accuracy, each label's precision, recall and F1, and
/// the confusion matrix (`counts[true][predicted]`).
public struct ClassificationReport: Equatable, Sendable {
    public struct LabelFigures: Equatable, Sendable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Texts whose true label this is.
        public var support: Int
    }

    public let labels: [String]
    public let confusion: [[Int]]

    /// - truth, predicted: label ids in `0..<labels.count`, one of each per text.
    public init(labels: [String], truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count)
        self.labels = labels
        var counts = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for (t, p) in zip(truth, predicted) { counts[t][p] += 1 }
        confusion = counts
    }

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { labels.indices.reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// The share a classifier that always says the most frequent true label would get right.
    public var majorityBaseline: Double {
        total == 0 ? 0 : Double(confusion.map { $0.reduce(0, +) }.max() ?? 0) / Double(total)
    }

    /// Precision and recall are 0 where nothing was predicted or there was nothing to find.
    public func figures(_ k: Int) -> LabelFigures {
        let truePositives = Double(confusion[k][k])
        let predicted = Double(confusion.reduce(0) { $0 + $1[k] }), actual = confusion[k].reduce(0, +)
        let precision = predicted > 0 ? truePositives / predicted : 0
        let recall = actual > 0 ? truePositives / Double(actual) : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return LabelFigures(precision: precision, recall: recall, f1: f1, support: actual)
    }
}
