import Foundation
import LSTMChat
import Testing

/// `lstmchat train --attention` end to end: it learns, every command answers with it, it
/// resumes exactly, and models without it work as before.
@Suite struct AttentionTests {
    static let small = TrainTests.small
    static let quick = TrainTests.quick.filter { $0 != "--no-attention" } + ["--attention"]

    @Test func learnsTheSmallCorpusAndEveryCommandAnswersWithIt() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", Self.small, "--out", out, "--epochs", "40", "--val-fraction", "0"] + Self.quick)
        #expect(train.status == 0, "\(train.stderr)")

        let checkpoint = try CheckpointFile.read(URL(fileURLWithPath: out).appendingPathComponent("model.safetensors"))
        #expect(checkpoint.config.attention)
        #expect(checkpoint.parameters.layout.entry("attn_combine.weight")?.shape == [64, 128])

        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", out, Self.small, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(figures["accuracy"] as? Double == 1)

        // Greedy, beam search and sampling give the corpus answer to a corpus question.
        let pair = try #require(try String(contentsOfFile: Self.small, encoding: .utf8)
            .split(separator: "\n").first { !$0.hasPrefix("#") && $0.contains("\t") })
        let question = String(pair.split(separator: "\t")[0])
        let greedy = try LSTMChatBinary.run(["ask", "--checkpoint", out, question])
        #expect(greedy.status == 0 && !greedy.stdout.isEmpty, "\(greedy.stderr)")
        for flags in [["--beam", "4"], ["--sample", "--temperature", "0.01", "--seed", "1"]] {
            let other = try LSTMChatBinary.run(["ask", "--checkpoint", out] + flags + [question])
            #expect(other.status == 0, "\(other.stderr)")
            #expect(other.stdout == greedy.stdout, "\(flags)")
        }
        let nBest = try LSTMChatBinary.run(["ask", "--checkpoint", out, "--n-best", "3", question])
        #expect(nBest.stdout.split(separator: "\n").count == 3)
        #expect(nBest.stdout.split(separator: "\n").first.map(String.init) == greedy.stdout.trimmingCharacters(in: .newlines))

        let chat = try LSTMChatBinary.run(["chat", "--checkpoint", out], stdin: question + "\n/beam 3\n" + question + "\n")
        #expect(chat.status == 0, "\(chat.stderr)")
        #expect(chat.stdout.components(separatedBy: greedy.stdout).count == 3, "\(chat.stdout)")  // the answer, twice
    }

    @Test func twoEpochsResumedForTwoMoreEqualFourStraight() throws {
        let dir = try TemporaryDirectory()
        let straight = dir.url.appendingPathComponent("straight"), resumed = dir.url.appendingPathComponent("resumed")
        let flags = Self.quick + ["--val-fraction", "0.2", "--dropout", "0.2", "--layers", "2", "--hidden", "32"]
        #expect(try LSTMChatBinary.run(["train", Self.small, "--out", straight.path, "--epochs", "4"] + flags).status == 0)
        #expect(try LSTMChatBinary.run(["train", Self.small, "--out", resumed.path, "--epochs", "2"] + flags).status == 0)
        let resume = try LSTMChatBinary.run(["train", "--resume", resumed.path, "--epochs", "4", "--quiet"])
        #expect(resume.status == 0, "\(resume.stderr)")
        let a = try CheckpointFile.read(straight.appendingPathComponent("model.safetensors"))
        let b = try CheckpointFile.read(resumed.appendingPathComponent("model.safetensors"))
        #expect(a.config.attention && b.config.attention)
        #expect(a.parameters.values.array.map(\.bitPattern) == b.parameters.values.array.map(\.bitPattern))
    }

    @Test func resumingCannotTurnAttentionOn() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run").path
        #expect(try LSTMChatBinary.run(["train", Self.small, "--out", out, "--epochs", "1"] + TrainTests.quick).status == 0)
        let result = try LSTMChatBinary.run(["train", "--resume", out, "--attention"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("lstmchat: --attention cannot change when resuming"), "\(result.stderr)")
    }

    /// A model file as written before attention existed (no "attention" in its config) loads as
    /// a model without it, answers, and is written again byte for byte as it was.
    @Test func aModelWithoutAttentionLoadsAndIsWrittenAsBefore() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: TinyCheckpoint.path))
        let checkpoint = try CheckpointFile.read(URL(fileURLWithPath: TinyCheckpoint.path))
        #expect(!checkpoint.config.attention)
        let dir = try TemporaryDirectory()
        let copy = dir.url.appendingPathComponent("model.safetensors")
        try checkpoint.write(to: copy)
        #expect(try Data(contentsOf: copy) == original)
        let answer = try LSTMChatBinary.run(["ask", "--checkpoint", copy.path, "--beam", "3", "how are you"])
        #expect(answer.status == 0, "\(answer.stderr)")
    }
}
