import Foundation
import LSTMChat

/// The one loop of `chat`, for every task: on a terminal, a prompt with line editing and history
/// (GNU readline); through a pipe, one reply per line read, with no prompt (an empty line gets an
/// empty line), so that scripts can pair them.
enum REPL {
    static func run(_ conversation: any Conversation, model: any LoadedModel, historyFile: String) {
        let output = { (text: String) in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let note = { (text: String) in Terminal.standardError(text) }
        if isatty(STDIN_FILENO) == 1 {
            print("lstmchat: \(model.path) (\(model.summary)); \(conversation.greeting)")
            let history = expandingTilde(historyFile)
            let editor = LineEditor(historyFile: history.isEmpty ? nil : history, completions: conversation.commandNames)
            while let line = editor.readLine(prompt: "> ") {
                if line.allSatisfy(\.isWhitespace) { continue }
                if !conversation.handle(line, output: output, note: note) { return }
            }
        } else {
            while let line = readLine(strippingNewline: true) {
                if line.allSatisfy(\.isWhitespace) {
                    output("\n")
                    continue
                }
                if !conversation.handle(line, output: output, note: note) { return }
            }
        }
    }
}

extension Terminal {
    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
