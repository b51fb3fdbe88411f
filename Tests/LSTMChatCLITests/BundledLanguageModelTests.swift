import Foundation
import LSTMChat
import Testing

/// The language model `make model-lm` bundles (checkpoints/kjv-lm): it loads, writes the same
/// text for the same seed, writes words of the King James text, and scores the text it held
/// out about as well as it did in training.
@Suite struct BundledLanguageModelTests {
    static let root = BundledModelTests.root

    /// The held-out share of `make model-lm`: the last 5% of the text's characters, which is the
    /// end of genesis.txt (the files are read in name order, one token per character).
    static func heldOutText() throws -> String {
        let files = ["exodus.txt", "genesis.txt"].map { root.appendingPathComponent("datasets/kjv/\($0)") }
        let total = try files.map { try Data(contentsOf: $0).count }.reduce(0, +)
        let genesis = try Data(contentsOf: files[1])
        return String(decoding: genesis.suffix(Int(Double(total) * 0.05)), as: UTF8.self)
    }

    @Test func writesTheSameTextForTheSameSeed() throws {
        let arguments = ["generate", "--seed", "7", "--temperature", "0.8", "--length", "300"]  // the default checkpoint
        let first = try LSTMChatBinary.run(arguments, in: Self.root), second = try LSTMChatBinary.run(arguments, in: Self.root)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout && first.stdout.count >= 300)
        let other = try LSTMChatBinary.run(["generate", "--seed", "8", "--temperature", "0.8", "--length", "300"], in: Self.root)
        #expect(other.stdout != first.stdout)
    }

    /// Most of what it writes are words of the text it learned (a model that had learned only
    /// letter frequencies would write few).
    @Test func writesWordsOfTheKingJamesText() throws {
        let text = try ["exodus.txt", "genesis.txt"].map {
            try String(contentsOf: Self.root.appendingPathComponent("datasets/kjv/\($0)"), encoding: .utf8)
        }.joined(separator: "\n")
        func words(_ s: String) -> [String] { s.lowercased().split { !$0.isLetter }.map(String.init) }
        let known = Set(words(text))
        let sample = try LSTMChatBinary.run(["generate", "--prompt", "And God said", "--seed", "1", "--temperature", "0.7", "--length", "1500"],
                                            in: Self.root)
        #expect(sample.status == 0, "\(sample.stderr)")
        let written = words(sample.stdout)
        let share = Double(written.filter(known.contains).count) / Double(max(written.count, 1))
        #expect(written.count > 150 && share > 0.9, "\(Int(100 * share))% of \(written.count) words are the text's:\n\(sample.stdout)")
    }

    /// `make model-lm` measured 1.72 bits per character on the held-out share (README); the
    /// bound leaves room for another BLAS's rounding, not for a worse model.
    @Test func scoresItsHeldOutTextBelowTwoBitsPerCharacter() throws {
        let dir = try TemporaryDirectory()
        let file = dir.url.appendingPathComponent("held-out.txt")
        try Data(try Self.heldOutText().utf8).write(to: file)
        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", "checkpoints/kjv-lm", file.path, "--json"], in: Self.root)
        #expect(eval.status == 0, "\(eval.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let bits = try #require(figures["bits_per_char"] as? Double)
        #expect(bits < 1.8, "\(eval.stdout)")
        #expect(figures["unknown_tokens"] as? Int == 0)
    }

    @Test func itsLossLogHasTheHeldOutBitsPerCharacter() throws {
        let rows = try LossLog.read(Self.root.appendingPathComponent("checkpoints/kjv-lm/loss.csv"))
        let last = try #require(rows.last)
        #expect(last.validationBitsPerCharacter != nil && last.validationBitsPerCharacter! < 1.8)
    }
}
