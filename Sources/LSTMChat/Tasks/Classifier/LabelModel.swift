import Foundation

/// A text classifier ready to label: the network, its vocabulary, tokenizer and labels.
public final class LabelModel {
    public let network: ClassifierModel
    public let vocabulary: Vocabulary
    public let tokenizer: Tokenizer
    public let labels: [String]
    public let path: String

    /// Texts longer than this are cut to their first tokens, as in training.
    public static let maxTokens = 200

    public init(network: ClassifierModel, vocabulary: Vocabulary, tokenizer: Tokenizer, labels: [String], path: String) {
        self.network = network
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.labels = labels
        self.path = path
    }

    /// A text's ids; a text with no tokens reads as one `<unk>`.
    public func encode(_ text: String) -> [Int32] {
        let ids = vocabulary.encode(Array(tokenizer.tokenize(text).prefix(Self.maxTokens)))
        return ids.isEmpty ? [Vocabulary.unknown] : ids
    }

    /// Each text's labels with their probabilities, most likely first.
    public func classify(_ texts: [String]) -> [[(label: String, probability: Float)]] {
        var results: [[(label: String, probability: Float)]] = []
        for start in stride(from: 0, to: texts.count, by: 64) {
            let part = texts[start..<min(start + 64, texts.count)]
            let batch = ClassifierBatch(texts: part.map(encode), labels: [Int32](repeating: 0, count: part.count))
            for p in network.probabilities(batch) {
                results.append(zip(labels, p).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map { ($0.0, $0.1) })
            }
        }
        return results
    }
}


extension LabelModel: LoadedModel {
    public static var task: ModelTask { .classifier }
    public static var options: Set<UseOption> { [.top] }

    public var summary: String { "a text classifier of \(labels.count) labels: \(network.config.summary)" }

    /// "greetings 0.873": the label, then its probability.
    public static func line(_ entry: (label: String, probability: Float)) -> String {
        "\(entry.label)\t\(String(format: "%.3f", entry.probability))"
    }

    public func ask(_ text: String, _ options: UseOptions) -> AskReply {
        let ranked = classify([text])[0].prefix(options.top)
        return AskReply(lines: ranked.map(Self.line), json: Self.askJSON(text: text, ranked: Array(ranked)))
    }

    /// What `ask --json` prints for a text's most likely labels.
    static func askJSON(text: String, ranked: [(label: String, probability: Float)]) -> String {
        jsonLine(["text": text, "labels": ranked.map { ["label": $0.label, "probability": Double($0.probability)] }])
    }

    public func conversation(_ options: UseOptions) -> any Conversation { LabelConversation(model: self) }

    /// `eval`: accuracy, each label's precision, recall and F1, and the confusion matrix.
    public func evaluate(_ request: EvaluationRequest) throws -> EvaluationReport {
        try request.refuseQuestionAnsweringOptions(for: self)
        guard let data = request.data.data else {
            throw CommandFailure("give the labelled texts: a text<TAB>label file, a ChatterBot corpus, or a directory")
        }
        let texts = try LabelledTextReader.read(data)
        let ids = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        if let unknown = texts.first(where: { ids[$0.label] == nil }) {
            throw DataError(file: unknown.file, line: unknown.line,
                            "label \"\(unknown.label)\" is not one the model knows (\(labels.joined(separator: ", ")))")
        }
        let truth = texts.map { ids[$0.label]! }
        let score = ClassifierScore(network, texts: texts.map { encode($0.text) }, labels: truth)
        let report = ClassificationReport(labels: labels, truth: truth.map(Int.init), predicted: score.predicted.map(Int.init))
        return EvaluationReport(lines: [report.text], json: report.json)
    }
}

/// `chat` with a classifier: each line gets its most likely label.
public final class LabelConversation: Conversation {
    public let model: LabelModel

    public init(model: LabelModel) { self.model = model }

    public var greeting: String { "each line gets its most likely label; Ctrl-D leaves" }
    public var commandNames: [String] { ["/quit"] }

    public func handle(_ line: String, output: (String) -> Void, note: (String) -> Void) -> Bool {
        if line.trimmingCharacters(in: .whitespaces) == "/quit" { return false }
        output(LabelModel.line(model.classify([line])[0][0]) + "\n")
        return true
    }
}

extension ClassificationReport {
    /// The report as `eval` prints it: accuracy beside the majority baseline, a table of the
    /// labels' figures, and the confusion matrix.
    public var text: String {
        var lines = [String(format: "accuracy %.1f%% of %d texts (always saying the most frequent label: %.1f%%)",
                            100 * accuracy, total, 100 * majorityBaseline), ""]
        let width = max(5, labels.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func left(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        lines.append(pad("label", width) + "  precision  recall     F1  texts")
        for (k, label) in labels.enumerated() {
            let f = figures(k)
            lines.append(pad(label, width) + String(format: "  %9.3f  %6.3f  %5.3f  %5d", f.precision, f.recall, f.f1, f.support))
        }
        lines += ["", "confusion matrix (rows: true label, columns: predicted, in the order above)"]
        let cell = max(3, String(confusion.flatMap { $0 }.max() ?? 0).count)
        for (k, label) in labels.enumerated() {
            lines.append(pad(label, width) + " " + confusion[k].map { left(String($0), cell) }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    public var json: [String: Any] {
        let rows = labels.enumerated().map { k, label -> [String: Any] in
            let f = figures(k)
            return ["label": label, "precision": f.precision, "recall": f.recall, "f1": f.f1, "support": f.support]
        }
        return ["accuracy": accuracy, "texts": total, "majority_baseline": majorityBaseline, "labels": rows, "confusion": confusion]
    }
}
