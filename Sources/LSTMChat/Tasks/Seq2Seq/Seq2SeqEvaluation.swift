import Foundation

extension ChatModel {
    /// `eval` of a question-answering model: on question/answer pairs, the loss, perplexity,
    /// exact match and token F1; on reworded questions (`keywords`), the share answered with
    /// their key words; with unrelated questions, what the confidence threshold does.
    public func evaluate(_ request: EvaluationRequest) throws -> EvaluationReport {
        matchThreshold = request.matchThreshold
        var report = EvaluationReport(lines: [], json: [:])
        if let keywords = request.keywords {
            let questions = try KeywordQuestion.read(keywords)
            let answered = scoreKeywords(questions, maxLength: request.maxLength, show: request.showAnswers, into: &report.lines)
            report.json["keywords"] = ["answered": answered, "questions": questions.count, "share": Double(answered) / Double(questions.count)]
            report.lines.append(String(format: "key words: %d of %d questions answered (%.1f%%)", answered, questions.count,
                                       100 * Double(answered) / Double(questions.count)))
        }
        let pairs = request.data.isGiven ? try request.data.pairs() : []
        if !pairs.isEmpty || request.data.isGiven {
            let e = evaluate(pairs: pairs, maxLength: request.maxLength)
            report.json.merge(["loss": e.loss, "perplexity": e.perplexity, "accuracy": e.accuracy, "token_f1": e.tokenF1,
                               "pairs": e.pairs, "questions": e.questions] as [String: Any]) { $1 }
            report.lines.append(String(format: "loss %.4f  perplexity %.2f  exact match %.1f%% of %d questions  token F1 %.3f  (%d pairs)",
                                       e.loss, e.perplexity, 100 * e.accuracy, e.questions, e.tokenF1, e.pairs))
        }
        if let unrelated = request.unrelated {
            try reportConfidence(unrelated: unrelated, request: request, corpus: pairs, into: &report)
        }
        return report
    }

    /// Loss, perplexity, exact match and token F1 on `pairs`, as the tokenizer reads them.
    public func evaluate(pairs: [QAPair], maxLength: Int) -> Evaluation {
        let tokenized = pairs.map { (tokenizer.tokenizeQuestion($0.question), tokenizer.tokenizeAnswer($0.answer)) }
            .filter { !$0.0.isEmpty && !$0.1.isEmpty }
        let encoded = tokenized.map { (question: vocabulary.encode($0.0), answer: vocabulary.encode($0.1)) }
        return Evaluator.evaluate(model: network, vocabulary: vocabulary, pairs: encoded,
                                  answerTokens: tokenized.map(\.1), maxAnswerLength: maxLength)
    }

    /// How many questions' greedy answers hold their key words. Each question is asked as chat
    /// asks it (matched to a known question when near one); the greedy answers come in batches.
    private func scoreKeywords(_ questions: [KeywordQuestion], maxLength: Int, show: Bool, into lines: inout [String]) -> Int {
        let asked = questions.map { encode($0.question) }
        let answers = BatchedGreedy.answers(model: network, questions: asked.map(\.ids), maxLength: maxLength, specials: specials)
        var answered = 0
        for (question, (asked, ids)) in zip(questions, zip(asked, answers)) {
            let answer = text(of: ids)
            let right = question.isAnswered(by: answer)
            if right { answered += 1 }
            let askedAs = asked.matched.map { " (asked as: \(text(of: $0)))" } ?? ""
            if show { lines.append("\(right ? "yes" : "no ")  \(question.question)\(askedAs)  ->  \(answer)") }
        }
        return answered
    }

    /// What a confidence threshold does on the unrelated, reworded and corpus questions.
    private func reportConfidence(unrelated: String, request: EvaluationRequest, corpus: [QAPair], into report: inout EvaluationReport) throws {
        let sets = try CalibrationSets.read(unrelated: unrelated, reworded: request.keywords, corpus: corpus)
        let scores = sets.score(self, maxLength: request.maxLength, nearestQuestion: !sets.corpus.isEmpty)
        let threshold = request.minConfidence ?? confidence?.applicable
        let chosen = scores.chooseThreshold()
        let at = scores.tradeoff(at: threshold ?? 0)
        let separation = ConfidenceReport.separation(scores)
        report.json["confidence"] = [
            "min_confidence": threshold.map { Double($0) as Any } ?? NSNull(), "chosen_threshold": chosen.map { Double($0) as Any } ?? NSNull(),
            "unrelated_refused": at.unrelatedRefused, "reworded_right": at.rewordedRight, "reworded_right_answered": at.rewordedRightAnswered,
            "corpus_right": at.corpusRight, "corpus_right_answered": at.corpusRightAnswered, "corpus_right_kept": at.corpusRightKept,
            "auc": Dictionary(separation.map { ($0.name, ["corpus": $0.corpus ?? .nan, "reworded": $0.reworded ?? .nan].filter { !$0.value.isNaN }) },
                              uniquingKeysWith: { a, _ in a }),
        ] as [String: Any]
        let source = request.minConfidence != nil ? "" : threshold != nil ? " (the model's)" : " (the model has none)"
        report.lines += [
            "confidence at min confidence \(ConfidenceReport.number(threshold ?? 0))\(source): \(ConfidenceReport.line(at, scores))",
            "how well each signal tells unrelated questions from those answered right (area under the ROC curve):",
            ConfidenceReport.separationTable(separation),
            "trade-off:",
            ConfidenceReport.table(scores, thresholds: ConfidenceReport.thresholds(adding: [threshold, chosen])),
            "threshold chosen from these questions (as `lstmchat calibrate` would): "
                + (chosen.map(ConfidenceReport.number) ?? "none (none refuses an unrelated question within the limits)"),
        ]
    }
}
