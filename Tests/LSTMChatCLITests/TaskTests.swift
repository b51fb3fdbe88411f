import Foundation
import LSTMChat
import Testing

/// `train --task classify` and `train --task lm` end to end, and what chat, ask, eval and
/// generate do with their models.
@Suite struct TaskTests {
    /// Three labels, each with words of its own: a small classifier learns them quickly.
    static let labelled = (0..<12).map { i in
        ["the cat sat on the mat \(i)\tcats", "my dog likes the park \(i)\tdogs", "fish swim in the sea \(i)\tfish"].joined(separator: "\n")
    }.joined(separator: "\n") + "\n"
    static let quick = ["--hidden", "24", "--embed", "12", "--batch-size", "6", "--lr", "0.02", "--quiet", "--threads", "1"]

    static func write(_ text: String, _ name: String, in dir: TemporaryDirectory) throws -> String {
        let url = dir.url.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func aClassifierLearnsItsLabelsAndReportsThem() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.write(Self.labelled, "pets.tsv", in: dir), out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", "--task", "classify", data, "--out", out, "--epochs", "15", "--dropout", "0"] + Self.quick)
        #expect(train.status == 0, "\(train.stderr)")

        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", out, data, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(report["accuracy"] as? Double == 1 && report["texts"] as? Int == 36)
        #expect((report["confusion"] as? [[Int]]) == [[12, 0, 0], [0, 12, 0], [0, 0, 12]])
        let text = try LSTMChatBinary.run(["eval", "--checkpoint", out, data])
        #expect(text.stdout.hasPrefix("accuracy 100.0% of 36 texts (always saying the most frequent label: 33.3%)"))

        let ask = try LSTMChatBinary.run(["ask", "--checkpoint", out, "--top", "2", "a dog in the park"])
        let lines = ask.stdout.split(separator: "\n")
        #expect(ask.status == 0 && lines.count == 2 && lines[0].hasPrefix("dogs\t"), "\(ask.stdout)")
        let p = lines.compactMap { Double($0.split(separator: "\t")[1]) }
        #expect(p.count == 2 && p[0] > 0.5 && p[0] >= p[1])

        let chat = try LSTMChatBinary.run(["chat", "--checkpoint", out], stdin: "the cat on the mat\n\nfish in the sea\n")
        #expect(chat.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: "\t").first.map(String.init) ?? "" }
                == ["cats", "", "fish", ""], "\(chat.stdout)")
    }

    @Test func aClassifierRunResumedAtAnEpochEqualsOneStraightRun() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.write(Self.labelled, "pets.tsv", in: dir)
        let straight = dir.url.appendingPathComponent("straight"), resumed = dir.url.appendingPathComponent("resumed")
        let flags = ["--task", "classify", data, "--dropout", "0.3", "--layers", "2", "--val-fraction", "0.2"] + Self.quick
        #expect(try LSTMChatBinary.run(["train", "--out", straight.path, "--epochs", "4"] + flags).status == 0)
        #expect(try LSTMChatBinary.run(["train", "--out", resumed.path, "--epochs", "2"] + flags).status == 0)
        let resume = try LSTMChatBinary.run(["train", "--resume", resumed.path, "--epochs", "4", "--quiet"])
        #expect(resume.status == 0, "\(resume.stderr)")
        #expect(try TrainTests.figures(resumed.appendingPathComponent("loss.csv")) == TrainTests.figures(straight.appendingPathComponent("loss.csv")))
        let a = try CheckpointFile.read(straight.appendingPathComponent("model.safetensors"))
        let b = try CheckpointFile.read(resumed.appendingPathComponent("model.safetensors"))
        #expect(a.task == .classifier && a.labels == ["cats", "dogs", "fish"])
        #expect(a.parameters.values.array.map(\.bitPattern) == b.parameters.values.array.map(\.bitPattern))
    }

    /// A text a small character model learns well: one line over and over.
    static let rhyme = String(repeating: "the cat sat on the mat.\n", count: 300)

    @Test func aLanguageModelLearnsATextAndWritesIt() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.write(Self.rhyme, "rhyme.txt", in: dir), out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", "--task", "lm", data, "--out", out, "--epochs", "6", "--seq-length", "24",
                                            "--layers", "1", "--dropout", "0"] + Self.quick.filter { $0 != "--quiet" })
        #expect(train.status == 0, "\(train.stderr)")
        let checkpoint = try CheckpointFile.read(URL(fileURLWithPath: out).appendingPathComponent("model.safetensors"))
        #expect(checkpoint.task == .languageModel && checkpoint.tokenizer == "char")

        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", out, data, "--json"])
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let bits = try #require(figures["bits_per_char"] as? Double)
        #expect(bits < 0.5, "\(eval.stdout)")  // a uniform guess over its characters would be about 3.7

        // The loss log gives the held-out bits per character at each epoch's end, and plot draws them.
        let log = URL(fileURLWithPath: out).appendingPathComponent("loss.csv")
        #expect(try String(contentsOf: log, encoding: .utf8).hasPrefix(LossLog.header + ",val_bits_per_char\n"))
        let validated = try LossLog.read(log).filter { $0.validationLoss != nil }
        #expect(validated.count == 6 && validated.allSatisfy { abs($0.validationBitsPerCharacter! - $0.validationLoss! / Float(M_LN2)) < 1e-6 })
        let lastEpoch = try #require(train.stderr.split(separator: "\n").first { $0.hasPrefix("epoch 6/6 done: ") })
        #expect(lastEpoch.contains(String(format: "validation loss %.3f, %.3f bits per character, next-character accuracy ",
                                          validated[5].validationLoss!, validated[5].validationBitsPerCharacter!)), "\(lastEpoch)")
        let plot = try LSTMChatBinary.run(["plot", log.path, "-o", "-"])
        #expect(plot.status == 0 && plot.stdout.contains(">val. bits per char<") && plot.stdout.contains("bits per character"), "\(plot.stderr)")

        let generate = ["generate", "--checkpoint", out, "--prompt", "the cat", "--length", "40", "--seed", "3", "--temperature", "0.5"]
        let first = try LSTMChatBinary.run(generate), second = try LSTMChatBinary.run(generate)
        #expect(first.status == 0 && first.stdout == second.stdout)
        #expect(first.stdout.hasPrefix("the cat sat on the mat"), "\(first.stdout)")

        let chat = try LSTMChatBinary.run(["chat", "--checkpoint", out, "--seed", "1", "--temperature", "0.3"], stdin: "the cat sat\n")
        #expect(chat.stdout.hasPrefix("the cat sat on the mat."), "\(chat.stdout)")

        try Self.chatsWithSlashCommands(out)
    }

    /// A language model writes its text as written, case and spacing, as char-rnn does: a
    /// character model and a word model (whose words are joined where the text had spaces).
    @Test(arguments: ["char", "word"])
    func aLanguageModelKeepsItsTextAsWritten(tokenizer: String) throws {
        let dir = try TemporaryDirectory()
        let text = String(repeating: "The Cat sat on the Mat, in Paris.\n", count: 300)
        let data = try Self.write(text, "cats.txt", in: dir), out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", "--task", "lm", "--tokenizer", tokenizer, data, "--out", out,
                                            "--epochs", tokenizer == "char" ? "6" : "12", "--seq-length", tokenizer == "char" ? "24" : "8",
                                            "--layers", "1", "--dropout", "0"] + Self.quick)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try CheckpointFile.read(URL(fileURLWithPath: out).appendingPathComponent("model.safetensors")).keepsText)
        let generate = try LSTMChatBinary.run(["generate", "--checkpoint", out, "--prompt", "The Cat", "--greedy", "--length", "40"])
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(generate.stdout.hasPrefix("The Cat sat on the Mat, in Paris.\nThe Cat sat"), "\(generate.stdout)")
        let ask = try LSTMChatBinary.run(["ask", "--checkpoint", out, "--beam", "1", "The Cat sat on"])  // the most likely characters
        #expect(ask.stdout == "The Cat sat on the Mat, in Paris.\n", "\(ask.stdout)")
    }

    /// Chat's slash commands that mean something to a language model change its sampling; the
    /// others are refused in one line, and the lines after /quit are not read.
    static func chatsWithSlashCommands(_ checkpoint: String) throws {
        let input = "/length 5\nthe cat\n/settings\n/beam 3\n/minconf 0.5\n/greedy\nthe cat\n/seed 2\n/temp 0.5\n/length 0\n/help\n/quit\nthe dog\n"
        let chat = try LSTMChatBinary.run(["chat", "--checkpoint", checkpoint, "--seed", "1", "--temperature", "0.3"], stdin: input)
        #expect(chat.status == 0, "\(chat.stderr)")
        let lines = chat.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // /help lists the ten commands that apply: /help /quit /greedy /sample /temp /topk /topp /length /seed /settings.
        try #require(lines.count == 7 + 10 + 1, "\(chat.stdout)")
        let help = Array(lines[7..<17])
        #expect(lines[0] == "sample, temperature 0.3, top-k off, top-p off, length 5, seed 1")
        #expect(lines[1].hasPrefix("the cat") && lines[1].count == "the cat".count + 5, "\(lines[1])")
        #expect(lines[2] == lines[0])
        #expect(lines[3] == "greedy, length 5")
        #expect(lines[4] == "the cat sat ")  // the most likely characters, five of them
        #expect(lines[5] == "greedy, length 5")  // a seed is kept for when sampling comes back
        #expect(lines[6] == "sample, temperature 0.5, top-k off, top-p off, length 5, seed 2")
        #expect(help.map { $0.split(separator: " ").first.map(String.init) ?? "" }
                == ["/help", "/quit", "/greedy", "/sample", "/temp", "/topk", "/topp", "/length", "/seed", "/settings"], "\(help)")
        #expect(lines.last == "")
        #expect(chat.stderr.split(separator: "\n") == ["/beam: not for a language model; type /help for the list",
                                                       "/minconf: not for a language model; type /help for the list",
                                                       "/length: expected a whole number from 1 to 1000, got 0"],
                "\(chat.stderr)")
    }

    /// Ctrl-C in the middle of an epoch, then --resume, three times over: the LSTM state carried
    /// from one window to the next is saved with the run, so the resumed run goes on exactly as
    /// one never stopped (the same loss log and weights, bit for bit).
    @Test func aLanguageModelInterruptedMidEpochAndResumedEqualsOneStraightRun() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.write(Self.rhyme, "rhyme.txt", in: dir)
        let straight = dir.url.appendingPathComponent("straight"), stopped = dir.url.appendingPathComponent("stopped")
        // 90 windows of 12 per epoch; dropout, so the dropout generator must resume too.
        let flags = ["--task", "lm", data, "--epochs", "8", "--seq-length", "12", "--layers", "2", "--hidden", "48", "--embed", "12",
                     "--batch-size", "6", "--lr", "0.01", "--dropout", "0.1", "--val-fraction", "0.1", "--quiet", "--threads", "1"]
        let run = try LSTMChatBinary.run(["train", "--out", straight.path] + flags)
        #expect(run.status == 0, "\(run.stderr)")

        let directory = CheckpointDirectory(stopped), log = stopped.appendingPathComponent("loss.csv")
        func loggedSteps() -> Int { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").count - 1 }
        var rng = Xoshiro256(seed: 7)
        var midEpoch = 0
        for round in 0..<3 {
            let arguments = round == 0 ? ["train", "--out", stopped.path] + flags : ["train", "--resume", stopped.path, "--quiet", "--threads", "1"]
            let process = try CrashTests.start(arguments)
            // Somewhere in the next 200 steps (the log has its rows once the handler is in place).
            let target = loggedSteps() + 20 + Int(rng.next() % 180)
            while process.isRunning && loggedSteps() < target { usleep(500) }
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
            #expect(process.terminationStatus == 130, "round \(round) ended with \(process.terminationStatus)")
            let model = try CheckpointFile.read(directory.model)
            let state = try TrainingStateFile.read(directory.state, layout: model.parameters.layout)
            if state.progress.stepInEpoch > 0 {
                midEpoch += 1
                // Two layers' (h, c) for the 6 rows of the window that ran last.
                #expect(state.carriedState.map(\.name).sorted() == ["c", "h"])
                #expect(state.carriedState.allSatisfy { $0.shape == [2, 6, 48] })
            }
        }
        #expect(midEpoch >= 2, "only \(midEpoch) of 3 interrupts landed in the middle of an epoch")
        // The same threads as the straight run: sums split over two threads round differently.
        let resume = try LSTMChatBinary.run(["train", "--resume", stopped.path, "--quiet", "--threads", "1"])
        #expect(resume.status == 0, "\(resume.stderr)")
        #expect(try TrainTests.figures(log) == TrainTests.figures(straight.appendingPathComponent("loss.csv")))
        let a = try CheckpointFile.read(straight.appendingPathComponent("model.safetensors")), b = try CheckpointFile.read(directory.model)
        #expect(a.parameters.values.array.map(\.bitPattern) == b.parameters.values.array.map(\.bitPattern))
    }

    /// A word model is measured by its perplexity: on its epoch lines and in its loss log.
    @Test func aWordLanguageModelLogsItsPerplexity() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.write(Self.rhyme, "rhyme.txt", in: dir), out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", "--task", "lm", "--tokenizer", "word", data, "--out", out, "--epochs", "2",
                                            "--seq-length", "8", "--layers", "1", "--dropout", "0"] + Self.quick.filter { $0 != "--quiet" })
        #expect(train.status == 0, "\(train.stderr)")
        let log = URL(fileURLWithPath: out).appendingPathComponent("loss.csv")
        #expect(try String(contentsOf: log, encoding: .utf8).hasPrefix(LossLog.header + ",val_perplexity\n"))
        let last = try #require(try LossLog.read(log).last)
        #expect(abs(last.validationPerplexity! - exp(last.validationLoss!)) < 1e-4 * last.validationPerplexity!)
        let line = try #require(train.stderr.split(separator: "\n").first { $0.hasPrefix("epoch 2/2 done: ") })
        #expect(line.contains(String(format: "perplexity %.2f, next-word accuracy", last.validationPerplexity!)), "\(line)")
    }

    @Test func aCommandGivenTheWrongKindOfModelSaysSoInOneLine() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.write(Self.labelled, "pets.tsv", in: dir), out = dir.url.appendingPathComponent("run").path
        #expect(try LSTMChatBinary.run(["train", "--task", "classify", data, "--out", out, "--epochs", "1"] + Self.quick).status == 0)
        let generate = try LSTMChatBinary.run(["generate", "--checkpoint", out])
        #expect(generate.status == 1)
        #expect(generate.stderr.hasSuffix("model.safetensors: a text classifier, not a language model (ask, chat and eval label texts with it)\n"))
        #expect(generate.stderr.split(separator: "\n").count == 1)

        // A question-answering model (the bundled one) given to generate, and a language model to commands that answer questions.
        let qa = try LSTMChatBinary.run(["generate", "--checkpoint", "checkpoints/default"], in: BundledModelTests.root)
        #expect(qa.status == 1 && qa.stderr.split(separator: "\n").count == 1)
        #expect(qa.stderr.hasSuffix("checkpoints/default/model.safetensors: a question-answering model, not a language model (chat, ask and eval answer with it)\n"),
                "\(qa.stderr)")
    }

    @Test(arguments: [
        ("classify", "pets.tsv", "the cat\tcats\nno label here\n", "pets.tsv:2: no tab; a line is text<TAB>label"),
        ("classify", "pets.tsv", "the cat\tcats\nthe dog\t  \n", "pets.tsv:2: no label after the tab"),
        ("lm", "empty.txt", "", "empty.txt: empty file"),
        ("lm", "latin1.txt", "caf\u{E9}\n", ""),
    ])
    func badDataIsRefusedInOneLine(_ task: String, _ name: String, _ contents: String, _ message: String) throws {
        let dir = try TemporaryDirectory()
        var bytes = Array(contents.utf8)
        if name == "latin1.txt" { bytes = Array("caf".utf8) + [0xE9, 0x0A] }
        let path = dir.url.appendingPathComponent(name)
        try Data(bytes).write(to: path)
        let result = try LSTMChatBinary.run(["train", "--task", task, path.path, "--out", dir.url.appendingPathComponent("run").path, "--quiet"])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let expected = message.isEmpty ? "latin1.txt:1: not valid UTF-8" : message
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("run/model.safetensors").path))
    }

    @Test func aLabelSeenOnlyInValidationIsNamed() throws {
        let dir = try TemporaryDirectory()
        let data = try Self.write(Self.labelled + "a lone bird sings\tbirds\n", "pets.tsv", in: dir)
        // Seeds until the lone text falls in the held-out share: the split is a function of the seed.
        var refused = false
        for seed in 1...40 where !refused {
            let result = try LSTMChatBinary.run(["train", "--task", "classify", data, "--out", dir.url.appendingPathComponent("run\(seed)").path,
                                                 "--epochs", "1", "--val-fraction", "0.5", "--seed", String(seed)] + Self.quick)
            if result.status != 0 {
                #expect(result.stderr.contains("pets.tsv:37: label \"birds\" is only in the validation share"), "\(result.stderr)")
                refused = true
            }
        }
        #expect(refused)
    }
}
