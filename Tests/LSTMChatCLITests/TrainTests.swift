import Foundation
import LSTMChat
import Testing

/// `lstmchat train` end to end, on the project's own small corpus.
@Suite struct TrainTests {
    static let small = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../datasets/examples/small.tsv").standardized.path
    /// A small model that learns the 40 pairs in a few seconds (without attention: `AttentionTests`
    /// add it).
    static let quick = ["--hidden", "64", "--embed", "32", "--layers", "1", "--no-attention", "--batch-size", "8", "--lr", "0.01",
                        "--lr-decay", "0.97", "--dropout", "0", "--quiet"]

    /// With no model flags, train builds the default model: 1×128 LSTM, words of 64, attention.
    @Test(arguments: [([String](), true), (["--no-attention"], false)])
    func theDefaultModelHasAttentionUnlessTurnedOff(flags: [String], attention: Bool) throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", Self.small, "--out", out, "--epochs", "1", "--quiet"] + flags)
        #expect(train.status == 0, "\(train.stderr)")
        let config = try CheckpointFile.read(URL(fileURLWithPath: out).appendingPathComponent("model.safetensors")).config
        #expect(config.attention == attention && config.embedSize == 64 && config.hiddenSize == 128 && config.layers == 1)
    }

    @Test func learnsTheSmallCorpusByHeart() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", Self.small, "--out", out, "--epochs", "60", "--val-fraction", "0"] + Self.quick)
        #expect(train.status == 0, "\(train.stderr)")
        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", out, Self.small, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(figures["accuracy"] as? Double == 1)
        #expect(figures["questions"] as? Int == 40)
        let answer = try LSTMChatBinary.run(["ask", "--checkpoint", out, "what is lstmchat?"])
        #expect(answer.status == 0 && !answer.stdout.isEmpty)
    }

    /// One definition of exact match (issue 26): the per-epoch figure after the last epoch is
    /// `eval`'s of the saved model on the same questions, even when --max-length cuts answers in
    /// training (a cut answer is not the data's answer, in either).
    @Test func thePerEpochExactMatchIsEvals() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", Self.small, "--out", out, "--epochs", "40", "--val-fraction", "0",
                                            "--exact-match-sample", "0", "--max-length", "4"] + Self.quick)
        #expect(train.status == 0, "\(train.stderr)")
        let log = try String(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("loss.csv"), encoding: .utf8)
        let rows = log.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let column = try #require(rows.first?.firstIndex(of: "exact_match"))
        let perEpoch = try #require(rows.dropFirst().last(where: { $0.count > column && !$0[column].isEmpty }).flatMap { Float($0[column]) })
        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", out, Self.small, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(figures["accuracy"] as? Double)
        #expect(perEpoch == Float(accuracy))
        #expect(perEpoch > 0 && perEpoch < 1, "answers longer than 4 tokens were cut in training: they cannot be right")
    }

    /// The loss log without its timing columns (tokens_per_s, elapsed_s), which no two runs share.
    static func figures(_ log: URL) throws -> [String] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { line in
            let columns = line.split(separator: ",", omittingEmptySubsequences: false)
            return (columns[0..<5] + columns[6..<8] + columns[9...]).joined(separator: ",")
        }
    }

    @Test func twoEpochsResumedForTwoMoreEqualFourStraight() throws {
        let dir = try TemporaryDirectory()
        let straight = dir.url.appendingPathComponent("straight"), resumed = dir.url.appendingPathComponent("resumed")
        let flags = Self.quick + ["--val-fraction", "0.2", "--dropout", "0.2", "--word-dropout", "0.2", "--layers", "2", "--hidden", "32"]
        #expect(try LSTMChatBinary.run(["train", Self.small, "--out", straight.path, "--epochs", "4"] + flags).status == 0)
        #expect(try LSTMChatBinary.run(["train", Self.small, "--out", resumed.path, "--epochs", "2"] + flags).status == 0)
        let resume = try LSTMChatBinary.run(["train", "--resume", resumed.path, "--epochs", "4", "--quiet"])
        #expect(resume.status == 0, "\(resume.stderr)")

        let expected = try Self.figures(straight.appendingPathComponent("loss.csv"))
        #expect(expected.count == 1 + 4 * 4)  // header, 4 epochs of 4 batches
        #expect(try Self.figures(resumed.appendingPathComponent("loss.csv")) == expected)
        // The same weights, bit for bit (the metadata differs: it records each run's --epochs).
        for file in ["model.safetensors", "best.safetensors"] {
            let a = try CheckpointFile.read(straight.appendingPathComponent(file))
            let b = try CheckpointFile.read(resumed.appendingPathComponent(file))
            #expect(a.parameters.values.array.map(\.bitPattern) == b.parameters.values.array.map(\.bitPattern), "\(file)")
            // The model knows the distinct questions it trained on (32 of the 40 pairs; 8 held out).
            #expect(a.knownQuestions == b.knownQuestions && (1...32).contains(a.knownQuestions.count))
            #expect(Set(a.knownQuestions).count == a.knownQuestions.count)
        }
    }

    @Test(arguments: ["1", "1.5", "nan"])
    func wordDropoutOutOfRangeIsRefused(value: String) throws {
        let result = try LSTMChatBinary.run(["train", Self.small, "--word-dropout", value])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--word-dropout must be in [0, 1)"), "\(result.stderr)")
    }

    @Test func ctrlCSavesAndTellsHowToResume() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run")
        let process = Process()
        process.executableURL = LSTMChatBinary.url
        process.arguments = ["train", Self.small, "--out", out.path, "--epochs", "1000"] + Self.quick
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        // Interrupt once training is under way: after the first epoch's checkpoint.
        let state = out.appendingPathComponent("training.safetensors")
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: state.path) { usleep(50_000) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130)
        #expect(message.contains("continue with: lstmchat train --resume \(out.path)"))

        let log = try String(contentsOf: out.appendingPathComponent("loss.csv"), encoding: .utf8)
        let steps = log.split(separator: "\n").count - 1
        #expect(steps < 1000 * 5)
        let resume = try LSTMChatBinary.run(["train", "--resume", out.path, "--epochs", "3", "--quiet"])
        #expect(resume.status == 0, "\(resume.stderr)")
    }

    @Test(arguments: [
        ("tab-less.tsv", "hello\thi\nno tab here\n", "tab-less.tsv:2:"),
        ("empty.tsv", "", "empty.tsv: "),
        ("only-comments.tsv", "# nothing\n\n", "only-comments.tsv: "),
        ("bad-utf8.tsv", "a\tb\nc\t\u{FFFD}", "bad-utf8.tsv:2:"),
    ])
    func badDataIsOneLineAndTrainsNothing(name: String, contents: String, prefix: String) throws {
        let dir = try TemporaryDirectory()
        let file = dir.url.appendingPathComponent(name)
        var bytes = Data(contents.utf8)
        if name == "bad-utf8.tsv" { bytes = Data(contents.replacingOccurrences(of: "\u{FFFD}", with: "").utf8) + Data([0xFF, 0xFE, 0x0A]) }
        try bytes.write(to: file)
        let out = dir.url.appendingPathComponent("run")
        let result = try LSTMChatBinary.run(["train", file.path, "--out", out.path, "--quiet"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("lstmchat: \(file.path.replacingOccurrences(of: name, with: ""))\(prefix)"), "\(result.stderr)")
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func parallelFilesOfDifferentLengthsNameBothCounts() throws {
        let dir = try TemporaryDirectory()
        let q = dir.url.appendingPathComponent("questions.txt"), a = dir.url.appendingPathComponent("answers.txt")
        try "hi\nhow are you\nbye\n".write(to: q, atomically: true, encoding: .utf8)
        try "hello\nfine\n".write(to: a, atomically: true, encoding: .utf8)
        let result = try LSTMChatBinary.run(["train", "--questions", q.path, "--answers", a.path, "--out", dir.url.appendingPathComponent("r").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("3") && result.stderr.contains("2"), "\(result.stderr)")
    }

    @Test func resumingCannotChangeTheModel() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run").path
        #expect(try LSTMChatBinary.run(["train", Self.small, "--out", out, "--epochs", "1"] + Self.quick).status == 0)
        let result = try LSTMChatBinary.run(["train", "--resume", out, "--hidden", "12"])
        #expect(result.status == 64)
        #expect(result.stderr == "lstmchat: --hidden cannot change when resuming: a resumed run keeps its data and settings (only --epochs may grow)\n")
        let again = try LSTMChatBinary.run(["train", Self.small, "--out", out])
        #expect(again.stderr.contains("already holds a training run; continue it with --resume"))
    }
}
