import CReadline
import Foundation
import LSTMChat

/// Reads lines from the terminal with GNU readline: editing, history kept in a file across
/// sessions (Ctrl-R searches it), Tab completion of slash commands, and Ctrl-C that clears
/// the line instead of quitting.
final class LineEditor {
    /// Readline keeps this many lines in memory and in the file.
    static let historySize: Int32 = 1000

    private var historyFile: String?

    /// The words Tab completes at the start of a line.
    nonisolated(unsafe) private static var completions: [String] = []
    nonisolated(unsafe) private static var matchIndex = 0
    /// True while readline waits for a line: a Ctrl-C then clears it. (Between lines the
    /// answer takes milliseconds; a Ctrl-C then only shows on the next prompt.)
    nonisolated(unsafe) private static var reading: sig_atomic_t = 0

    init(historyFile: String?, completions: [String]) {
        self.historyFile = historyFile
        Self.completions = completions
        rl_readline_name = UnsafePointer(strdup("lstmchat"))  // for $if lstmchat in ~/.inputrc
        rl_attempted_completion_function = { text, start, _ in
            // Only a command at the start of the line completes; never file names.
            rl_attempted_completion_over = 1
            guard start == 0, let text, text.pointee == UInt8(ascii: "/") else { return nil }
            return rl_completion_matches(text) { text, state in
                if state == 0 { LineEditor.matchIndex = 0 }
                let prefix = String(cString: text!)
                while LineEditor.matchIndex < LineEditor.completions.count {
                    let word = LineEditor.completions[LineEditor.matchIndex]
                    LineEditor.matchIndex += 1
                    if word.hasPrefix(prefix) { return strdup(word) }
                }
                return nil
            }
        }
        using_history()
        stifle_history(Self.historySize)
        if let historyFile {
            // Readline returns an errno; creating the file lets later lines be appended to it.
            let error = FileManager.default.fileExists(atPath: historyFile) ? read_history(historyFile) : write_history(historyFile)
            if error != 0 {
                Terminal.standardError("lstmchat: \(historyFile): \(String(cString: strerror(error))); history will not be kept")
                self.historyFile = nil
            }
        }
        signal(SIGINT) { _ in
            guard LineEditor.reading != 0 else { return }
            // Readline has already tidied the terminal and echoed ^C; start a fresh empty line.
            _ = write(STDOUT_FILENO, "\n", 1)
            rl_on_new_line()
            rl_replace_line("", 0)
            rl_redisplay()
        }
    }

    /// The next line, or nil at end of input (Ctrl-D on an empty line).
    func readLine(prompt: String) -> String? {
        Self.reading = 1
        defer { Self.reading = 0 }
        guard let line = readline(prompt) else { return nil }
        defer { free(line) }
        // Invalid UTF-8 becomes U+FFFD rather than failing.
        let text = String(decoding: UnsafeRawBufferPointer(start: line, count: strlen(line)), as: UTF8.self)
        remember(line, text)
        return text
    }

    /// Adds a line to the history, in memory and at the end of the file, unless it is blank or
    /// repeats the line before.
    private func remember(_ line: UnsafeMutablePointer<CChar>, _ text: String) {
        guard !text.allSatisfy(\.isWhitespace) else { return }
        if history_length > 0, let last = history_get(history_base + history_length - 1), strcmp(last.pointee.line, line) == 0 { return }
        add_history(line)
        if let historyFile {
            append_history(1, historyFile)
            history_truncate_file(historyFile, Self.historySize)
        }
    }
}
