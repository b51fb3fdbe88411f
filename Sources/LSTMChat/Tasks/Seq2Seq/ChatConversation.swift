import Foundation

extension ChatModel: LoadedModel {
    public static var task: ModelTask { .seq2seq }
    public static var options: Set<UseOption> { Set(UseOption.allCases).subtracting([.top]) }

    /// A chatbot answering with this model as `options` say.
    public func chatbot(_ options: UseOptions, session: InferenceSession? = nil) -> Chatbot {
        matchThreshold = options.matchThreshold
        // Several answers come from beam search unless sampling; --json's settings say so.
        var settings = options.decoding
        if options.nBest > 1 && settings.strategy != .sample {
            settings.strategy = .beam
            settings.beamWidth = max(settings.beamWidth, options.nBest)
        }
        let chatbot = Chatbot(model: self, settings: settings, session: session)
        chatbot.userMinConfidence = options.minConfidence
        chatbot.fallback = options.fallback
        chatbot.oneLinePerAnswer = options.oneLinePerAnswer
        return chatbot
    }

    public func ask(_ text: String, _ options: UseOptions) -> AskReply {
        chatbot(options).ask(text, count: options.nBest)
    }

    public func conversation(_ options: UseOptions) -> any Conversation {
        let chatbot = chatbot(options)
        chatbot.variesAnswers = true
        return ChatConversation(chatbot: chatbot)
    }
}

extension Chatbot {
    /// The reply to one question, as `ask` prints it: the answers (or the fallback), the
    /// notes about the question, and the JSON of `ask --json`. An empty question gets an empty line.
    public func ask(_ text: String, count: Int = 1) -> AskReply {
        let blank = text.allSatisfy(\.isWhitespace)
        let question = model.encode(blank ? "" : text)
        let reply = blank ? nil : self.reply(to: question, count: count)
        let texts = if let reply { reply.isFallback ? [fallback] : reply.answers.map(model.text(of:)) } else { [""] }
        let lines = texts.map(printed)
        return AskReply(lines: lines, notes: blank ? [] : notes(about: question),
                     json: AskReport(text: text, question: question, reply: reply, chatbot: self).json)
    }
}

/// `chat` with a question-answering model: each line is a question, or a slash command that
/// changes the decoding, the confidence threshold, the matching, or the model.
public final class ChatConversation: Conversation {
    public let chatbot: Chatbot

    public init(chatbot: Chatbot) { self.chatbot = chatbot }

    public var greeting: String { "type /help for commands" }
    public var commandNames: [String] { SlashCommand.names }

    public func handle(_ line: String, output: (String) -> Void, note: (String) -> Void) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("/") else {
            let question = chatbot.model.encode(line)
            for text in chatbot.notes(about: question) { note(text) }
            output(chatbot.printed(chatbot.text(of: chatbot.reply(to: question))) + "\n")
            return true
        }
        switch SlashCommand.parse(trimmed) {
        case .failure(let error):
            note(error.description)
        case .success(.quit):
            return false
        case .success(.help):
            output(SlashCommand.helpText + "\n")
        case .success(.settings):
            output("\(chatbot.settings.summary); \(chatbot.matchSummary); \(chatbot.confidenceSummary)\n")
        case .success(.minConfidence(let threshold)):
            chatbot.userMinConfidence = threshold
            output(chatbot.confidenceSummary + "\n")
        case .success(.match(let threshold)):
            chatbot.model.matchThreshold = threshold
            output(chatbot.matchSummary + "\n")
        case .success(.load(let path)):
            do {
                // The model loaded runs as the one it replaces: on int8 weights if that one did.
                let quantize: Quantization? = chatbot.model.network.int8 != nil ? .int8 : nil
                let model = try LoadedModels.open(expandingTilde(path), as: ChatModel.self, quantize: quantize)
                chatbot.replaceModel(with: model)
                output("loaded \(model.path): \(model.summary)\n")
            } catch {
                note("/load: \(error)")
            }
        case .success(let command):
            var settings = chatbot.settings
            _ = command.apply(to: &settings)
            chatbot.settings = settings
            output(settings.summary + "\n")
        }
        return true
    }
}
