import Foundation

/// A trained model ready to answer questions: the network, its vocabulary and its tokenizer.
public final class ChatModel {
    public let network: Seq2SeqModel
    public let vocabulary: Vocabulary
    public let tokenizer: Tokenizer
    public let trainingSteps: Int?
    /// The default confidence threshold stored with the model (nil in files from before there was one).
    public let confidence: ConfidenceThreshold?
    /// The questions it was trained on (nil in files from before they were stored).
    public let knownQuestions: KnownQuestions?
    /// A question not among `knownQuestions` is asked as the nearest of them when at least this
    /// similar (`KnownQuestions`); nil: asked as typed.
    public var matchThreshold: Float? = QuestionMatcher.defaultThreshold
    /// Matches questions to `knownQuestions` (contractions and short forms written out).
    public let matcher: QuestionMatcher?
    /// The file it came from, as the user named it.
    public let path: String

    /// The tokens that may repeat in runs of their own (`RepeatBlocking.marks`), found once.
    public private(set) lazy var repeatExempt = RepeatBlocking.marks(in: vocabulary.tokens)

    /// Questions longer than this are cut: the model never saw longer ones, and the encoder's
    /// time and memory grow with the length.
    public static let maxQuestionTokens = 200

    public init(network: Seq2SeqModel, vocabulary: Vocabulary, tokenizer: Tokenizer, trainingSteps: Int?,
         confidence: ConfidenceThreshold? = nil, knownQuestions: KnownQuestions? = nil, path: String) {
        precondition(vocabulary.count == network.config.vocabSize, "vocabulary and model disagree on the size")
        self.network = network
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.trainingSteps = trainingSteps
        self.confidence = confidence
        self.knownQuestions = knownQuestions
        matcher = knownQuestions.map { QuestionMatcher(known: $0, vocabulary: vocabulary) }
        self.path = path
    }

    public var specials: SpecialTokenIDs {
        SpecialTokenIDs(pad: Vocabulary.pad, unknown: Vocabulary.unknown, bos: Vocabulary.bos, eos: Vocabulary.eos)
    }

    /// "vocabulary 8000, 2 layers of 512 with attention, 30000 training steps"
    public var summary: String {
        var text = network.config.summary
        if let trainingSteps { text += ", \(trainingSteps) training steps" }
        return text
    }

    public struct Question: Sendable {
        /// What the model is asked: the question as typed, or the known question it was matched to.
        public var ids: [Int32]
        /// The known question asked instead of the one typed, if it was matched to one.
        public var matched: [Int32]?
        /// The question's words the vocabulary lacks, each once, in order.
        public var unknownWords: [String]
        /// True when the question was longer than `maxQuestionTokens` and cut.
        public var wasCut: Bool
    }

    public func encode(_ text: String) -> Question {
        var tokens = tokenizer.tokenizeQuestion(text)
        let wasCut = tokens.count > Self.maxQuestionTokens
        if wasCut { tokens.removeLast(tokens.count - Self.maxQuestionTokens) }
        let typed = vocabulary.encode(tokens)
        let asked = matchThreshold.flatMap { threshold in matcher?.match(tokens, threshold: threshold) } ?? typed
        return Question(ids: asked, matched: asked == typed ? nil : asked,
                        unknownWords: vocabulary.unknownWords(in: tokens).map { Tokenizer.unmarked($0).text }, wasCut: wasCut)
    }

    /// Token ids (a question, or an answer's tokens) as text, as the tokenizer would write them.
    public func text(of ids: [Int32]) -> String { tokenizer.detokenize(ids.map { vocabulary.tokens[Int($0)] }) }

    /// The answer's tokens; `<unk>` shows as itself when answers may hold it.
    public func tokens(of answer: GeneratedAnswer) -> [String] { answer.tokens.map { vocabulary.tokens[Int($0)] } }

    public func text(of answer: GeneratedAnswer) -> String { tokenizer.detokenize(tokens(of: answer)) }
}

/// A model and the decoder that answers with it, as `chat` and `ask` use them; below its
/// confidence threshold it gives the fallback instead of the model's answer.
public final class Chatbot {
    public private(set) var model: ChatModel
    public private(set) var generator: AnswerGenerator
    /// The threshold the user set (--min-confidence, /minconf); nil: the model's own.
    public var userMinConfidence: Float?
    public var fallback = UseOptions.defaultFallback
    /// Answers printed one a line (`UseOptions.oneLinePerAnswer`).
    public var oneLinePerAnswer = false
    /// `chat`: a known question gets one of the answers the model learned for it, drawn at random
    /// (see `learnedAnswer`), as ChatterBot picks one of a statement's responses. `ask` stays greedy.
    public var variesAnswers = false
    /// Draws among learned answers: from `--seed`, else from the system.
    private lazy var rng = Xoshiro256(seed: settings.seed ?? .random(in: .min ... .max))

    /// The confidence below which the fallback is given: the user's, else the model's, else none.
    public var minConfidence: Float? { userMinConfidence ?? model.confidence?.applicable }

    /// - session: the session to decode in (one of `model.network`'s), else a new one.
    public init(model: ChatModel, settings: DecodingSettings, session: InferenceSession? = nil) {
        self.model = model
        generator = AnswerGenerator(session: session ?? InferenceSession(model: model.network), specials: model.specials, settings: settings,
                                    repeatExempt: model.repeatExempt)
    }

    public var settings: DecodingSettings {
        get { generator.settings }
        set { generator.settings = newValue }
    }

    /// Answers with another model, keeping the settings.
    public func replaceModel(with model: ChatModel) {
        model.matchThreshold = self.model.matchThreshold
        self.model = model
        generator = AnswerGenerator(session: InferenceSession(model: model.network), specials: model.specials, settings: settings,
                                    repeatExempt: model.repeatExempt)
    }

    public func answer(_ question: ChatModel.Question, count: Int = 1) -> [GeneratedAnswer] {
        generator.generate(question.ids, count: count)
    }

    /// The model's answers to a question, its confidence, and what to say.
    public struct Reply {
        public var answers: [GeneratedAnswer]
        public var confidence: Float
        /// True when the confidence is below the threshold: the fallback is said instead.
        public var isFallback: Bool
    }

    public func reply(to question: ChatModel.Question, count: Int = 1) -> Reply {
        let confidence = AnswerConfidence.of(question.ids, session: generator.session, specials: model.specials,
                                             knownQuestions: model.knownQuestions)
        let varies = variesAnswers && count == 1 && settings.strategy == .greedy && model.knownQuestions?.index(of: question.ids) != nil
        let answers = varies ? [learnedAnswer(question)] : answer(question, count: count)
        return Reply(answers: answers, confidence: confidence, isFallback: minConfidence.map { confidence < $0 } ?? false)
    }

    /// The answers a known question has in the corpus are learned as so many answers almost as
    /// likely as the best ("tell me a joke": each joke about as likely as the others); a question
    /// with one answer has one far likelier than the rest. So: one of the beam's
    /// `learnedAnswerCount` best finished answers at least `learnedAnswerShare` as likely as the best.
    public static let learnedAnswerCount = 8
    public static let learnedAnswerShare: Float = 0.25

    func learnedAnswer(_ question: ChatModel.Question) -> GeneratedAnswer {
        let answers = answer(question, count: Self.learnedAnswerCount)
        guard let best = answers.first(where: \.finished) else { return answers[0] }
        let likely = answers.filter { $0.finished && $0.logProbability >= best.logProbability + log(Self.learnedAnswerShare) }
        return likely[rng.index(below: likely.count)]
    }

    /// The text to show for a reply: the fallback, or the best answer.
    public func text(of reply: Reply) -> String {
        reply.isFallback ? fallback : model.text(of: reply.answers[0])
    }

    /// An answer as printed: as it is, or on one line when `oneLinePerAnswer`.
    public func printed(_ text: String) -> String { oneLinePerAnswer ? TSVField.escaped(text) : text }

    /// "min confidence 0.05 (the model's), fallback "I don't know that one.""
    public var confidenceSummary: String {
        let source = userMinConfidence != nil ? "" : " (the model's)"
        let threshold = minConfidence.map { String(format: "%.3g", $0) + source } ?? "none (the model has no threshold)"
        return "min confidence \(threshold), fallback \"\(fallback)\""
    }

    /// "questions matched to known ones at similarity ≥ 0.5 (1036 known)"
    public var matchSummary: String {
        guard let known = model.knownQuestions else { return "questions asked as typed (the model has no list of its questions)" }
        guard let threshold = model.matchThreshold else { return "questions asked as typed (matching off)" }
        return "questions matched to known ones at similarity ≥ \(DecodingSettingsText.number(threshold)) (\(known.questions.count) known)"
    }

    /// The notes for standard error about a question: the known question it was asked as, words
    /// the model does not know, and a cut.
    public func notes(about question: ChatModel.Question) -> [String] {
        var notes: [String] = []
        if let matched = question.matched { notes.append("(asked as: \(Terminal.printable(model.text(of: matched))))") }
        if !question.unknownWords.isEmpty {
            let shown = question.unknownWords.prefix(8).map(Terminal.printable)
            let more = question.unknownWords.count - shown.count
            notes.append("(not in vocabulary: \(shown.joined(separator: ", "))\(more > 0 ? " and \(more) more" : ""))")
        }
        if question.wasCut { notes.append("(question cut to its first \(ChatModel.maxQuestionTokens) tokens)") }
        return notes
    }
}
