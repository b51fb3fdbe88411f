import Foundation

/// What `ask --json` prints for one question.
public struct AskReport: Encodable {
    struct Answer: Encodable {
        var text: String
        var tokens: [String]
        var tokenIds: [Int32]
        var logProbability: Float
        /// False when the answer was cut at the maximum length.
        var finished: Bool
    }

    struct Settings: Encodable {
        var strategy: String
        var temperature: Float
        var topK: Int
        var topP: Float
        var beamWidth: Int
        var lengthPenalty: Float
        var maxLength: Int
        var seed: UInt64?
        var allowUnknown: Bool
    }

    var question: String
    /// The known question the model was asked instead (nil: asked as typed).
    var askedAs: String?
    var unknownWords: [String]
    /// What the model would say, best first, even when the fallback is printed instead.
    var answers: [Answer]
    /// How sure the model is it can answer the question, 0–1 (0 for an empty question).
    var confidence: Float
    /// The threshold in force (nil: none; answers are always given).
    var minConfidence: Float?
    /// True when the confidence was below the threshold and `reply` is the fallback.
    var fallback: Bool
    /// What plain `ask` prints: the best answer or the fallback (empty for an empty question).
    var reply: String
    var settings: Settings
    var checkpoint: String

    public init(text: String, question: ChatModel.Question, reply: Chatbot.Reply?, chatbot: Chatbot) {
        let model = chatbot.model, s = chatbot.settings
        self.question = text
        askedAs = question.matched.map(model.text(of:))
        unknownWords = question.unknownWords
        confidence = reply?.confidence ?? 0
        minConfidence = chatbot.minConfidence
        fallback = reply?.isFallback ?? false
        self.reply = reply.map(chatbot.text(of:)) ?? ""
        answers = (reply?.answers ?? []).map {
            Answer(text: model.text(of: $0), tokens: model.tokens(of: $0), tokenIds: $0.tokens,
                   logProbability: $0.logProbability, finished: $0.finished)
        }
        settings = Settings(strategy: s.strategy.rawValue, temperature: s.temperature, topK: s.topK, topP: s.topP,
                            beamWidth: s.beamWidth, lengthPenalty: s.lengthPenalty, maxLength: s.maxLength,
                            seed: s.seed, allowUnknown: s.allowUnknown)
        checkpoint = model.path
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value here encodes (log-probabilities are finite or -inf, which is written as a string).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}
