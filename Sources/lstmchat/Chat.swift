import ArgumentParser
import Foundation
import LSTMChat

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a trained model.",
        discussion: """
        Type a question and press Return; the model answers on the next line. Lines that start \
        with / are commands (type /help for the list; Tab completes them). Arrow keys and Ctrl-R \
        search the history, which is kept between sessions. Ctrl-C clears the line; Ctrl-D or \
        /quit leaves. When the model's confidence in a question is below the threshold \
        (--min-confidence, /minconf; by default the one stored in the model), it says the \
        --fallback text instead of its answer. A question the model was not trained on is \
        asked as the most similar question it was, when their words are similar enough \
        (--match, /match); standard error shows it: (asked as: …).

        When standard input is not a terminal, chat reads one question per line and writes one \
        answer per line, with no prompt (an empty line gets an empty line):
          printf 'hi\\nhow are you\\n' | lstmchat chat
        """
    )

    @Option(help: ArgumentHelp("The model: a model.safetensors file, or a checkpoint directory holding one.", valueName: "path"))
    var checkpoint = ChatModel.defaultPath

    @Option(help: ArgumentHelp("Where to keep the history of typed lines ('' keeps none).", valueName: "file"))
    var historyFile = "~/.lstmchat_history"

    @OptionGroup(title: "Decoding")
    var decoding: DecodingOptions

    @OptionGroup(title: "Confidence")
    var confidence: ConfidenceOptions

    @OptionGroup(title: "Questions in other words")
    var matching: MatchOptions

    func run() throws {
        if try TaskCommands.chat(checkpoint: checkpoint, decoding: decoding, historyFile: historyFile) { return }
        let model = try ChatModel.load(path: checkpoint, missingHint: ChatModel.missingHint)
        model.matchThreshold = matching.threshold
        let chatbot = Chatbot(model: model, settings: decoding.settings)
        confidence.configure(chatbot)
        let repl = ChatLoop(chatbot: chatbot)
        if isatty(STDIN_FILENO) == 1 {
            print("lstmchat: \(model.path) (\(model.summary)); type /help for commands")
            let history = expandingTilde(historyFile)
            repl.runInteractive(editor: LineEditor(historyFile: history.isEmpty ? nil : history, completions: SlashCommand.names))
        } else {
            repl.runPiped()
        }
    }
}

/// What chat does with each line: answer a question, or carry out a slash command.
final class ChatLoop {
    let chatbot: Chatbot

    init(chatbot: Chatbot) { self.chatbot = chatbot }

    func runInteractive(editor: LineEditor) {
        while let line = editor.readLine(prompt: "> ") {
            if line.allSatisfy(\.isWhitespace) { continue }
            if !handle(line) { return }
        }
    }

    /// One answer line on standard output for each question line, so scripts can pair them.
    func runPiped() {
        setvbuf(stdout, nil, _IOLBF, 0)  // each answer as soon as it is ready
        while let line = Swift.readLine(strippingNewline: true) {
            if line.allSatisfy(\.isWhitespace) {
                print()
                continue
            }
            if !handle(line) { return }
        }
    }

    /// Answers or obeys one line; false when it asks to quit.
    func handle(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("/") else {
            answer(line)
            return true
        }
        switch SlashCommand.parse(trimmed) {
        case .failure(let error):
            Terminal.standardError(error.description)
        case .success(.quit):
            return false
        case .success(.help):
            print(SlashCommand.helpText)
        case .success(.settings):
            print("\(chatbot.settings.summary); \(chatbot.matchSummary); \(chatbot.confidenceSummary)")
        case .success(.minConfidence(let threshold)):
            chatbot.userMinConfidence = threshold
            print(chatbot.confidenceSummary)
        case .success(.match(let threshold)):
            chatbot.model.matchThreshold = threshold
            print(chatbot.matchSummary)
        case .success(.load(let path)):
            do {
                let model = try ChatModel.load(path: expandingTilde(path))
                chatbot.replaceModel(with: model)
                print("loaded \(model.path): \(model.summary)")
            } catch {
                Terminal.standardError("/load: \(error)")
            }
        case .success(let command):
            var settings = chatbot.settings
            _ = command.apply(to: &settings)
            chatbot.settings = settings
            print(settings.summary)
        }
        return true
    }

    private func answer(_ text: String) {
        let question = chatbot.model.encode(text)
        for note in chatbot.notes(about: question) { Terminal.standardError(note) }
        print(chatbot.text(of: chatbot.reply(to: question)))
    }
}
