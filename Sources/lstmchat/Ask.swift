import ArgumentParser
import Foundation
import LSTMChat

struct Ask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer one question, or one per line of standard input.",
        discussion: """
        Prints the answer on standard output. With --n-best N, prints the N best answers, best \
        first, one per line (beam search, at least N wide, unless sampling: then N samples). With \
        --json, prints one JSON object per question: the answers with their tokens and \
        log-probabilities, the decoding settings used (the seed among them, so a sampled \
        answer can be had again), the model's confidence in the question (0–1) and whether it \
        was below the threshold, when the --fallback text is printed instead of the answers \
        (--json still lists them).

        Examples:
          lstmchat ask "how are you"
          lstmchat ask --beam 8 --n-best 3 "what is your name"
          lstmchat ask --json < questions.txt > answers.jsonl
        """
    )

    @Argument(help: ArgumentHelp("The question. Without it, questions are read from standard input, one per line.", valueName: "question"))
    var question: String?

    @Option(help: ArgumentHelp("The model: a model.safetensors file, or a checkpoint directory holding one.", valueName: "path"))
    var checkpoint = ChatModel.defaultPath

    @Option(help: ArgumentHelp("Print the n best answers, best first.", valueName: "n"))
    var nBest = 1

    @Option(help: ArgumentHelp("A classifier's n most likely labels, with their probabilities.", valueName: "n"))
    var top = 1

    @Flag(help: "Print JSON: answers, tokens, log-probabilities and settings.")
    var json = false

    @OptionGroup(title: "Decoding")
    var decoding: DecodingOptions

    @OptionGroup(title: "Confidence")
    var confidence: ConfidenceOptions

    @OptionGroup(title: "Questions in other words")
    var matching: MatchOptions

    func validate() throws {
        if top < 1 { throw ValidationError("--top: expected a whole number ≥ 1, got \(top)") }
        if !(1...64).contains(nBest) { throw ValidationError("--n-best: expected a whole number from 1 to 64, got \(nBest)") }
    }

    func run() throws {
        if try TaskCommands.ask(checkpoint: checkpoint, question: question, top: top, json: json, decoding: decoding) { return }
        let model = try ChatModel.load(path: checkpoint, missingHint: ChatModel.missingHint)
        model.matchThreshold = matching.threshold
        // Several answers come from beam search unless sampling; say so in --json's settings.
        var settings = decoding.settings
        if nBest > 1 && settings.strategy != .sample {
            settings.strategy = .beam
            settings.beamWidth = max(settings.beamWidth, nBest)
        }
        let chatbot = Chatbot(model: model, settings: settings)
        confidence.configure(chatbot)
        setvbuf(stdout, nil, _IOLBF, 0)
        if let question {
            ask(question, chatbot)
        } else {
            while let line = readLine(strippingNewline: true) { ask(line, chatbot) }
        }
    }

    private func ask(_ text: String, _ chatbot: Chatbot) {
        let blank = text.allSatisfy(\.isWhitespace)
        let question = chatbot.model.encode(blank ? "" : text)
        if !blank { for note in chatbot.notes(about: question) { Terminal.standardError(note) } }
        let reply = blank ? nil : chatbot.reply(to: question, count: nBest)
        if json {
            print(AskReport(text: text, question: question, reply: reply, chatbot: chatbot).json)
        } else if let reply, reply.isFallback {
            print(chatbot.fallback)
        } else {
            for answer in reply?.answers ?? [] { print(chatbot.model.text(of: answer)) }
            if blank { print() }
        }
    }
}

/// What `ask --json` prints for one question.
struct AskReport: Encodable {
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

    init(text: String, question: ChatModel.Question, reply: Chatbot.Reply?, chatbot: Chatbot) {
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

    var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value here encodes (log-probabilities are finite or -inf, which is written as a string).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}
