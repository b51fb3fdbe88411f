import Foundation
import LSTMChat
import Testing

/// The README tells the truth: its table of defaults is each task's, and every flag it names
/// after `lstmchat COMMAND` is one that command takes.
@Suite struct ReadmeTests {
    static let readme: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }()

    @Test func isShort() {
        #expect(!Self.readme.isEmpty)
        #expect(Self.readme.split(separator: "\n", omittingEmptySubsequences: false).count <= 300)
    }

    /// The rows `| --flag | seq2seq | lm | classify |` against `TaskDefinition.defaults`.
    @Test func theDefaultsTableIsEachTasks() throws {
        let rows = Self.readme.split(separator: "\n").filter { $0.hasPrefix("| `--") }
        #expect(rows.count >= 15)
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let flag = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`-"))
            let key = try #require(Recipe.Key(rawValue: flag), "\(row)")
            for (task, cell) in zip(ModelTask.allCases, cells.dropFirst()) {
                let definition = task.definition
                let expected = definition.keys.contains(key) ? definition.defaults.text(of: key) ?? "none" : "—"
                #expect(cell == expected, "--\(flag) for \(task): README \(cell), the task \(expected)")
            }
        }
    }

    /// Each `lstmchat COMMAND … --flag` in the README: the command's --help lists the flag.
    @Test func everyFlagItNamesExists() throws {
        var helps: [String: String] = [:]
        var checked = 0
        for line in Self.readme.split(separator: "\n") {
            guard let range = line.range(of: "lstmchat ") else { continue }
            let words = line[range.upperBound...].split(whereSeparator: { " `[]|(),".contains($0) }).map(String.init)
            guard let command = words.first, ["train", "chat", "ask", "serve", "generate", "eval", "plot", "calibrate", "quantize", "bench"].contains(command) else { continue }
            if helps[command] == nil { helps[command] = try LSTMChatBinary.run([command, "--help"]).stdout }
            for word in words.dropFirst() where word.hasPrefix("--") {
                let flag = String(word.prefix { $0 != "=" })
                #expect(helps[command]!.contains(flag), "README: `lstmchat \(command) … \(flag)`, which \(command) --help does not list")
                checked += 1
            }
        }
        #expect(checked >= 20)
    }
}
