import ArgumentParser
import Foundation
import LSTMChat

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on question/answer pairs (or a language model on text, a classifier on labelled text).",
        discussion: """
            Reports the loss and perplexity of the reference answers, the share of distinct \
            questions whose greedy answer equals one of their reference answers (exact match, \
            after tokenizing: case and spacing around punctuation do not count), and the mean \
            best token F1. DATA is read as by `lstmchat train`.

            With --keywords FILE, also the share of FILE's questions whose greedy answer holds \
            their key words: FILE is a TSV of question<TAB>regular expression (case-insensitive, \
            matched anywhere in the answer), as datasets/chatterbot-english-reworded.tsv, which \
            asks the corpus's questions in other words. DATA may then be left out.

            With --unrelated FILE (questions nothing in the corpus answers, one a line, as \
            datasets/chatterbot-english-unrelated.txt), also the model's confidence: at the \
            threshold (--min-confidence, or the one stored in the model) the share of FILE's \
            questions given the fallback, and the share of --keywords and DATA questions answered \
            right that are still answered; how well each confidence signal separates unrelated \
            questions from those answered right (area under the ROC curve); a trade-off table; \
            and the threshold `lstmchat calibrate` would choose from these questions.

            Example:
              lstmchat eval --checkpoint checkpoints/default datasets/chatterbot-english
              lstmchat eval --keywords datasets/chatterbot-english-reworded.tsv --show
              lstmchat eval --unrelated datasets/chatterbot-english-unrelated.txt \\
                --keywords datasets/chatterbot-english-reworded.tsv datasets/chatterbot-english
            """)

    @OptionGroup var source: DataOptions

    @Option(help: ArgumentHelp("The model: a model.safetensors file, or a checkpoint directory holding one.", valueName: "path"))
    var checkpoint = ChatModel.defaultPath

    @Option(help: "Longest greedy answer, in tokens.")
    var maxLength = 60

    @Option(help: ArgumentHelp("Also score the questions of this TSV file (question<TAB>regular expression of the key words a right answer holds).", valueName: "file"))
    var keywords: String?

    @Flag(help: "With --keywords: print each question, its answer, and whether it holds the key words.")
    var show = false

    @Option(help: ArgumentHelp("Also report the confidence, with these questions unrelated to the corpus (one a line).", valueName: "file"))
    var unrelated: String?

    @Option(help: ArgumentHelp("With --unrelated: the threshold to judge. (default: the model's)", valueName: "c"))
    var minConfidence: Float?

    @Flag(help: "Print the figures as JSON.")
    var json = false

    @OptionGroup(title: "Questions in other words")
    var matching: MatchOptions

    func validate() throws {
        if !source.isGiven, keywords == nil, unrelated == nil {
            throw ValidationError("give the data: a file or directory, or --questions and --answers, or --keywords FILE, or --unrelated FILE")
        }
        if let minConfidence, let problem = SettingRule.minConfidence.problem(minConfidence) {
            throw ValidationError("--min-confidence: \(problem)")
        }
        if maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        if try TaskCommands.eval(checkpoint: checkpoint, data: source.data, json: json) { return }
        let model = try ChatModel.load(path: checkpoint, missingHint: ChatModel.missingHint)
        model.matchThreshold = matching.threshold
        var object: [String: Any] = [:]
        if let keywords {
            let questions = try KeywordQuestion.read(keywords)
            let answered = scoreKeywords(questions, model: model)
            object["keywords"] = ["answered": answered, "questions": questions.count, "share": Double(answered) / Double(questions.count)]
            if !json {
                print(String(format: "key words: %d of %d questions answered (%.1f%%)", answered, questions.count,
                             100 * Double(answered) / Double(questions.count)))
            }
        }
        if source.isGiven { try scorePairs(model: model, into: &object) }
        if let unrelated { try reportConfidence(unrelated: unrelated, model: model, into: &object) }
        if json {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// What a confidence threshold does on the unrelated, reworded and corpus questions.
    private func reportConfidence(unrelated: String, model: ChatModel, into object: inout [String: Any]) throws {
        let sets = try CalibrationSets.read(unrelated: unrelated, reworded: keywords, corpus: source.isGiven ? source.dataSource.read() : [])
        let scores = sets.score(model, maxLength: maxLength, nearestQuestion: !sets.corpus.isEmpty)
        let threshold = minConfidence ?? model.confidence?.applicable
        let chosen = scores.chooseThreshold()
        let at = scores.tradeoff(at: threshold ?? 0)
        let separation = ConfidenceReport.separation(scores)
        if json {
            object["confidence"] = [
                "min_confidence": threshold.map { Double($0) as Any } ?? NSNull(), "chosen_threshold": chosen.map { Double($0) as Any } ?? NSNull(),
                "unrelated_refused": at.unrelatedRefused, "reworded_right": at.rewordedRight, "reworded_right_answered": at.rewordedRightAnswered,
                "corpus_right": at.corpusRight, "corpus_right_answered": at.corpusRightAnswered, "corpus_right_kept": at.corpusRightKept,
                "auc": Dictionary(separation.map { ($0.name, ["corpus": $0.corpus ?? .nan, "reworded": $0.reworded ?? .nan].filter { !$0.value.isNaN }) },
                                  uniquingKeysWith: { a, _ in a }),
            ] as [String: Any]
            return
        }
        let source = minConfidence != nil ? "" : threshold != nil ? " (the model's)" : " (the model has none)"
        print("confidence at min confidence \(ConfidenceReport.number(threshold ?? 0))\(source): \(ConfidenceReport.line(at, scores))")
        print("how well each signal tells unrelated questions from those answered right (area under the ROC curve):")
        print(ConfidenceReport.separationTable(separation))
        print("trade-off:")
        print(ConfidenceReport.table(scores, thresholds: ConfidenceReport.thresholds(adding: [threshold, chosen])))
        print("threshold chosen from these questions (as `lstmchat calibrate` would): "
              + (chosen.map(ConfidenceReport.number) ?? "none (none refuses an unrelated question within the limits)"))
    }

    /// How many questions' greedy answers hold their key words.
    /// Each question is asked as chat asks it (matched to a known question when near one); the
    /// greedy answers come in batches.
    private func scoreKeywords(_ questions: [KeywordQuestion], model: ChatModel) -> Int {
        let asked = questions.map { model.encode($0.question) }
        let answers = BatchedGreedy.answers(model: model.network, questions: asked.map(\.ids), maxLength: maxLength,
                                            specials: model.specials)
        var answered = 0
        for (question, (asked, ids)) in zip(questions, zip(asked, answers)) {
            let answer = model.text(of: ids)
            let right = question.isAnswered(by: answer)
            if right { answered += 1 }
            let askedAs = asked.matched.map { " (asked as: \(model.text(of: $0)))" } ?? ""
            if show { print("\(right ? "yes" : "no ")  \(question.question)\(askedAs)  ->  \(answer)") }
        }
        return answered
    }

    private func scorePairs(model: ChatModel, into object: inout [String: Any]) throws {
        let pairs = try source.dataSource.read()
        let tokenized = pairs.map { (model.tokenizer.tokenizeQuestion($0.question), model.tokenizer.tokenize($0.answer)) }
            .filter { !$0.0.isEmpty && !$0.1.isEmpty }
        let encoded = tokenized.map { (question: model.vocabulary.encode($0.0), answer: model.vocabulary.encode($0.1)) }
        let e = Evaluator.evaluate(model: model.network, vocabulary: model.vocabulary, pairs: encoded,
                                   answerTokens: tokenized.map(\.1), maxAnswerLength: maxLength)
        let figures: [String: Any] = ["loss": e.loss, "perplexity": e.perplexity, "accuracy": e.accuracy,
                                      "token_f1": e.tokenF1, "pairs": e.pairs, "questions": e.questions]
        object.merge(figures) { $1 }
        if !json {
            print(String(format: "loss %.4f  perplexity %.2f  exact match %.1f%% of %d questions  token F1 %.3f  (%d pairs)",
                         e.loss, e.perplexity, 100 * e.accuracy, e.questions, e.tokenF1, e.pairs))
        }
    }
}
