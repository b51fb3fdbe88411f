import Foundation
import Testing

/// The model `make chat` opens: it loads, and answers the corpus it was trained on.
@Suite struct BundledModelTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    @Test func answersItsCorpusGreetings() throws {
        let result = try LSTMChatBinary.run(["eval", "--checkpoint", "checkpoints/default", "datasets/chatterbot-english/greetings.yml", "--json"],
                                            in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((figures["accuracy"] as? Double ?? 0) >= 0.9)
    }

    @Test func chatsThroughAPipeWithTheDefaultCheckpoint() throws {
        let result = try LSTMChatBinary.run(["chat"], stdin: "hi\nwhat is ai?\n", in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 3)  // two answers and the final newline
    }
}
