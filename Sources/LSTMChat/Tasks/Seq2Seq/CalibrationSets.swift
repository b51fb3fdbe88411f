import Foundation

/// The questions a confidence threshold is chosen from and judged on: unrelated ones (nothing in
/// the corpus answers them), reworded corpus questions with the key words of a right answer, and
/// the corpus's own question/answer pairs. Any set may be empty.
public struct CalibrationSets {
    public var unrelated: [String] = []
    public var reworded: [KeywordQuestion] = []
    public var corpus: [QAPair] = []

    /// The files that come with a corpus, beside it: for `datasets/chatterbot-english` (or
    /// `x.tsv`), `datasets/chatterbot-english-unrelated.txt` and `…-reworded.tsv`, when they exist.
    public static func companions(of data: String?) -> (unrelated: String?, reworded: String?) {
        guard let data else { return (nil, nil) }
        var base = data
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        base = (base as NSString).deletingPathExtension
        func existing(_ path: String) -> String? { FileManager.default.fileExists(atPath: path) ? path : nil }
        return (existing(base + "-unrelated.txt"), existing(base + "-reworded.tsv"))
    }

    public static func read(unrelated: String?, reworded: String?, corpus: [QAPair] = []) throws -> CalibrationSets {
        CalibrationSets(unrelated: try unrelated.map(QuestionList.read) ?? [],
                        reworded: try reworded.map(KeywordQuestion.read) ?? [], corpus: corpus)
    }

    /// Each question's confidence signals and whether its greedy answer is right.
    public struct Scores {
        public var unrelated: [ConfidenceSignals] = []
        public var reworded: [(signals: ConfidenceSignals, right: Bool)] = []
        /// One per distinct corpus question, right when the answer equals one of its references.
        public var corpus: [(signals: ConfidenceSignals, right: Bool)] = []

        public var unrelatedConfidences: [Float] { unrelated.map(\.confidence) }
        public var rewordedScored: [ScoredQuestion] { reworded.map { ScoredQuestion(confidence: $0.signals.confidence, right: $0.right) } }
        public var corpusScored: [ScoredQuestion] { corpus.map { ScoredQuestion(confidence: $0.signals.confidence, right: $0.right) } }

        public func tradeoff(at threshold: Float) -> ConfidenceTradeoff {
            ConfidenceTradeoff(threshold: threshold, unrelated: unrelatedConfidences, reworded: rewordedScored, corpus: corpusScored)
        }

        public func chooseThreshold() -> Float? {
            ConfidenceCalibration.choose(unrelated: unrelatedConfidences, reworded: rewordedScored, corpus: corpusScored)
        }
    }

    /// Puts every question to `model` (greedy answers of at most `maxLength` tokens, all in
    /// batches); of the corpus, at most `corpusQuestions` distinct questions, evenly spread. With
    /// `nearestQuestion`, also measures each question's distance to the corpus's in the encoder.
    public func score(_ model: ChatModel, maxLength: Int = 60, corpusQuestions: Int? = nil, nearestQuestion: Bool = false) -> Scores {
        var references: [[Int32]: [[String]]] = [:], order: [[Int32]] = []
        for pair in corpus {
            let question = model.encode(pair.question).ids, answer = model.tokenizer.tokenizeAnswer(pair.answer)
            guard !question.isEmpty, !answer.isEmpty else { continue }
            if references[question] == nil { order.append(question) }
            references[question, default: []].append(answer)
        }
        let memory = nearestQuestion ? QuestionMemory(questions: order, session: InferenceSession(model: model.network)) : nil
        if let corpusQuestions, order.count > corpusQuestions {
            order = (0..<corpusQuestions).map { order[$0 * order.count / corpusQuestions] }
        }
        let asked = unrelated.map { model.encode($0).ids } + reworded.map { model.encode($0.question).ids } + order
        let measured = ConfidenceSignals.measure(asked, model: model.network, specials: model.specials, memory: memory, maxLength: maxLength,
                                                 knownQuestions: model.knownQuestions)
        let rewordedStart = unrelated.count, corpusStart = rewordedStart + reworded.count
        var scores = Scores()
        scores.unrelated = measured[..<rewordedStart].map(\.signals)
        scores.reworded = zip(reworded, measured[rewordedStart..<corpusStart]).map { question, measured in
            (measured.signals, question.isAnswered(by: model.text(of: measured.answer)))
        }
        scores.corpus = zip(order, measured[corpusStart...]).map { question, measured in
            (measured.signals, AnswerScore.exactMatch(model.tokens(of: measured.answer), references: references[question]!))
        }
        return scores
    }
}
