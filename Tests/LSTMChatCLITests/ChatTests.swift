import Foundation
import LSTMChat
import Testing
@testable import LSTMChatCLI

private func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

@Suite struct ChatPipeTests {
    @Test func eachLineInGetsOneLineOut() throws {
        var input = Array("hi\nhow are you\n\n   \nwhat is your name\n".utf8)
        input += Array("x".utf8) + [0x01, 0x1b, 0x7f] + Array(" 😀 é\n".utf8)  // control characters, emoji
        input += [0xff, 0xfe, 0xc3, 0x28, 0x0a]                                // invalid UTF-8
        input += Array(String(repeating: "hello you ", count: 20_000).utf8) + [0x0a]  // a 200 kB line
        input += Array("\t\r\n".utf8)
        let result = try LSTMChatBinary.run(["chat", "--checkpoint", TinyCheckpoint.path], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        let out = lines(result.stdout)
        #expect(out.count == 9)
        #expect(out[2] == "" && out[3] == "" && out[8] == "")
        #expect(!out[0].isEmpty)
        #expect(result.stderr.contains("(not in vocabulary:"))
        #expect(result.stderr.contains("(question cut to its first 200 tokens)"))
        #expect(!result.stderr.contains("\u{1}"), "control characters are shown escaped")
    }

    @Test func thousandsOfLinesGetAsManyAnswers() throws {
        let questions = (0..<3000).map { ["hi", "how are you", "what is your name", "", "good"][$0 % 5] }
        let result = try LSTMChatBinary.run(["chat", "--checkpoint", TinyCheckpoint.path, "--max-length", "5"],
                                            stdin: questions.joined(separator: "\n") + "\n")
        #expect(result.status == 0)
        #expect(lines(result.stdout).count == 3000)
    }

    @Test func slashCommandsWorkInAPipe() throws {
        let result = try LSTMChatBinary.run(["chat", "--checkpoint", TinyCheckpoint.path],
                                            stdin: "/temp 0.5\n/settings\n/temp abc\n/quit\nnever answered\n")
        #expect(result.status == 0)
        #expect(lines(result.stdout).count == 2)
        #expect(result.stdout.contains("sample, temperature 0.5"))
        #expect(result.stderr == "/temp: expected a number > 0, got \"abc\"\n")
    }
}

@Suite struct AskTests {
    @Test func jsonHasTheAnswerTokensLogProbabilityAndSettings() throws {
        let result = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "--json", "--beam", "3", "--n-best", "2", "how are you"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["question"] as? String == "how are you")
        let answers = try #require(object["answers"] as? [[String: Any]])
        #expect(answers.count == 2)
        for answer in answers {
            #expect(answer["text"] is String)
            #expect((answer["tokens"] as? [String])?.count == (answer["token_ids"] as? [Int])?.count)
            #expect(((answer["log_probability"] as? Double) ?? 1) <= 0)
        }
        let settings = try #require(object["settings"] as? [String: Any])
        #expect(settings["strategy"] as? String == "beam")
        #expect(settings["beam_width"] as? Int == 3)
    }

    @Test("a question in other words is asked as the known question it is nearest, unless told not to", arguments: [
        (["what is your name ok"], "what is your name"),
        (["you are how"], "how are you"),
        (["what is your name ok", "--match", "0.99"], nil),
        (["what is your name ok", "--no-match"], nil),
        (["hi hello"], nil),
    ])
    func questionsInOtherWords(arguments: [String], askedAs: String?) throws {
        let result = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.withKnownQuestions, "--json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["asked_as"] as? String == askedAs)
        #expect(result.stderr == (askedAs.map { "(asked as: \($0))\n" } ?? ""))
    }

    @Test func aModelWithoutItsQuestionsAsksAsTyped() throws {
        let result = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "--json", "what is your name ok"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["asked_as"] == nil)
    }

    @Test func severalAnswersComeFromAWideEnoughBeam() throws {
        let result = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "--json", "--n-best", "6", "hi"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let settings = try #require(object["settings"] as? [String: Any])
        #expect(settings["strategy"] as? String == "beam")
        #expect(settings["beam_width"] as? Int == 6)
        #expect((object["answers"] as? [Any])?.count == 6)
    }

    @Test func theSameSeedSamplesTheSameAnswers() throws {
        let args = ["ask", "--checkpoint", TinyCheckpoint.path, "--temperature", "1.5", "--seed", "7", "--n-best", "5", "hi"]
        let first = try LSTMChatBinary.run(args), second = try LSTMChatBinary.run(args)
        #expect(first.status == 0)
        #expect(lines(first.stdout).count == 5)
        #expect(first.stdout == second.stdout)
    }

    @Test func withoutAQuestionItAnswersEachLineOfStandardInput() throws {
        let result = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "--json"], stdin: "hi\n\nhow are you\n")
        #expect(result.status == 0)
        let objects = try lines(result.stdout).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.map { $0?["question"] as? String } == ["hi", "", "how are you"])
    }

    @Test("conflicting or out-of-range flags are refused", arguments: [
        ["--beam", "2", "--sample"], ["--temperature", "0"], ["--top-p", "1.5"], ["--max-length", "0"], ["--n-best", "0"],
    ])
    func badFlags(flags: [String]) throws {
        let result = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path] + flags + ["hi"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("Error: "))
    }
}

@Suite struct CheckpointErrorTests {
    @Test("a missing, truncated or foreign checkpoint is one line on standard error and status 1", arguments: ["chat", "ask"])
    func badCheckpoints(command: String) throws {
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TinyCheckpoint.path)))
        let directory = try TemporaryDirectory()
        func checkpoint(named name: String, contents: [UInt8]?) throws -> String {
            let url = directory.url.appendingPathComponent(name)
            if let contents { try Data(contents).write(to: url) }
            return url.path
        }
        let paths = [
            try checkpoint(named: "missing.safetensors", contents: nil),
            try checkpoint(named: "truncated.safetensors", contents: Array(good.prefix(good.count / 2))),
            try checkpoint(named: "notes.safetensors", contents: Array("these are my notes\n".utf8)),
            try checkpoint(named: "empty.safetensors", contents: []),
        ]
        for path in paths {
            let result = try LSTMChatBinary.run([command, "--checkpoint", path] + (command == "ask" ? ["hi"] : []), stdin: "hi\n")
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(lines(result.stderr).count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("lstmchat: "))
            #expect(result.stderr.contains(path))
        }
    }

    @Test func theDefaultCheckpointIsLookedForInTheCurrentDirectory() throws {
        let directory = try TemporaryDirectory()
        let result = try LSTMChatBinary.run(["chat"], in: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr == "lstmchat: no checkpoint at checkpoints/default/model.safetensors; train one with `lstmchat train`, or pass --checkpoint\n")
    }

    @Test func aCheckpointDirectoryIsFoundByItsModelFile() throws {
        let directory = URL(fileURLWithPath: TinyCheckpoint.path).deletingLastPathComponent().path
        let result = try LSTMChatBinary.run(["ask", "--checkpoint", directory, "hi"])
        #expect(result.status == 0, "\(result.stderr)")
    }
}

@Suite(.serialized) struct ChatTerminalTests {
    @Test func aConversationWithSettingsCtrlCAndCtrlD() throws {
        let directory = try TemporaryDirectory()
        let history = directory.url.appendingPathComponent("history").path
        let expected = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "how are you"]).stdout
        let chat = try PseudoTerminal(["chat", "--checkpoint", TinyCheckpoint.path, "--history-file", history])
        #expect(chat.waitFor("type /help for commands\r\n") != nil, "\(chat.transcript)")
        #expect(chat.waitFor("> ") != nil)

        chat.send("how are you\r")
        let answer = chat.waitFor("> ")
        #expect(answer?.contains(expected.trimmingCharacters(in: .newlines)) == true, "\(chat.transcript)")

        chat.send("/temp 0.5\r")
        #expect(chat.waitFor("temperature 0.5") != nil)
        #expect(chat.waitFor("> ") != nil)
        chat.send("/settings\r")
        #expect(chat.waitFor("sample, temperature 0.5") != nil)
        #expect(chat.waitFor("> ") != nil)

        // Ctrl-C clears the line and keeps the chat going.
        chat.send("a half-typed line")
        #expect(chat.waitFor("a half-typed line") != nil)
        chat.send("\u{3}")
        #expect(chat.waitFor("> ") != nil, "a fresh prompt")
        chat.send("/sett\t")  // Tab completes /settings
        #expect(chat.waitFor("/settings ") != nil)
        chat.send("\r")
        let settings = chat.waitFor("sample, temperature 0.5")
        #expect(settings?.contains("half") == false, "\(chat.transcript)")
        #expect(chat.waitFor("> ") != nil)

        chat.send("\u{4}")  // Ctrl-D on an empty line leaves
        #expect(chat.waitForExit() == 0, "\(chat.transcript)")
    }

    @Test func historyIsKeptBetweenSessions() throws {
        let directory = try TemporaryDirectory()
        let history = directory.url.appendingPathComponent("history").path
        let first = try PseudoTerminal(["chat", "--checkpoint", TinyCheckpoint.path, "--history-file", history])
        #expect(first.waitFor("> ") != nil)
        first.send("what is your name\r")
        #expect(first.waitFor("> ") != nil)
        first.send("/quit\r")
        #expect(first.waitForExit() == 0)
        #expect(try String(contentsOfFile: history, encoding: .utf8).contains("what is your name\n"))

        let second = try PseudoTerminal(["chat", "--checkpoint", TinyCheckpoint.path, "--history-file", history])
        #expect(second.waitFor("> ") != nil)
        second.send("\u{1b}[A\u{1b}[A")  // the up arrow, twice, brings back the line before /quit
        #expect(second.waitFor("what is your name") != nil, "\(second.transcript)")
        second.send("\u{4}\u{15}\u{4}")  // Ctrl-D deletes nothing on a non-empty line; Ctrl-U empties it
        #expect(second.waitForExit() == 0)
    }

    /// Without $XDG_STATE_HOME, history goes to ~/.local/state/lstmchat/history, ~ being $HOME.
    @Test func theDefaultHistoryFileIsInTheStateDirectoryOfHome() throws {
        let home = try TemporaryDirectory()
        let chat = try PseudoTerminal(["chat", "--checkpoint", TinyCheckpoint.path], environment: ["HOME": home.url.path, "XDG_STATE_HOME": ""])
        #expect(chat.waitFor("> ") != nil)
        chat.send("what is your name\r")
        #expect(chat.waitFor("> ") != nil)
        chat.send("/quit\r")
        #expect(chat.waitForExit() == 0)
        let history = home.url.appendingPathComponent(".local/state/lstmchat/history").path
        #expect(try String(contentsOfFile: history, encoding: .utf8).contains("what is your name\n"))
    }

    /// $XDG_STATE_HOME is honoured, and the history of earlier versions (~/.lstmchat_history) is
    /// carried over the first time.
    @Test func theOldHistoryIsCarriedToXDGStateHome() throws {
        let home = try TemporaryDirectory(), state = try TemporaryDirectory()
        try "how are you\n".write(to: home.url.appendingPathComponent(".lstmchat_history"), atomically: true, encoding: .utf8)
        let chat = try PseudoTerminal(["chat", "--checkpoint", TinyCheckpoint.path], environment: ["HOME": home.url.path, "XDG_STATE_HOME": state.url.path])
        #expect(chat.waitFor("> ") != nil)
        chat.send("what is your name\r")
        #expect(chat.waitFor("> ") != nil)
        chat.send("/quit\r")
        #expect(chat.waitForExit() == 0)
        let history = try String(contentsOfFile: state.url.appendingPathComponent("lstmchat/history").path, encoding: .utf8)
        #expect(history.contains("how are you\n") && history.contains("what is your name\n"), "\(history)")
    }

    @Test(arguments: [
        ("~/.lstmchat_history", "/tmp/x", "/tmp/x/.lstmchat_history"),
        ("~", "/tmp/x", "/tmp/x"),
        ("~/a/b", "/home/someone/", "/home/someone//a/b"),
        ("/abs/~/file", "/tmp/x", "/abs/~/file"),
        ("history~", "/tmp/x", "history~"),
        ("", "/tmp/x", ""),
    ])
    func tildeExpandsFromHomeFirst(path: String, home: String, expanded: String) {
        #expect(expandingTilde(path, environment: ["HOME": home]) == expanded)
    }

    @Test func withoutHomeTildeIsThePasswordDatabasesHome() throws {
        let entry = try #require(getpwuid(getuid()))
        let home = String(cString: entry.pointee.pw_dir)
        #expect(expandingTilde("~/h", environment: [:]) == home + "/h")
        #expect(expandingTilde("~/h", environment: ["HOME": ""]) == home + "/h")
    }
}

/// The REPL's memory stays flat however many questions it answers: the peak resident memory
/// after 10,000 piped questions is that after 500, within a few MB.
@Suite struct ChatMemoryTests {
    /// Pipes `count` varied questions into `lstmchat chat`, waits for every answer, and reads the
    /// process's peak resident memory (VmHWM) while it is still running, in kB.
    static func peakMemory(afterQuestions count: Int) throws -> Int {
        let process = Process()
        process.executableURL = LSTMChatBinary.url
        process.arguments = ["chat", "--checkpoint", TinyCheckpoint.path, "--max-length", "8"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let words = ["hi", "how are you", "what is your name", "good 😀", "tell me a story about the sea", "x\u{1}y"]
        DispatchQueue.global().async {
            for i in 0..<count {
                input.fileHandleForWriting.write(Data("\(words[i % words.count]) \(i)\n".utf8))
            }
        }
        var answered = 0
        let reader = output.fileHandleForReading
        while answered < count {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            answered += chunk.filter { $0 == 0x0a }.count
        }
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(answered == count)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    @Test func tenThousandQuestionsTakeNoMoreMemoryThanFiveHundred() throws {
        let few = try Self.peakMemory(afterQuestions: 500)
        let many = try Self.peakMemory(afterQuestions: 10_000)
        // 8 MB of slack covers malloc's arenas settling; a leak of even 1 kB per question is 10 MB.
        #expect(many <= few + 8 * 1024, "peak RSS \(few) kB after 500 questions, \(many) kB after 10,000")
    }
}
