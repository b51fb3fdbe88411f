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
        // 8 of the 11 (the model of 2026-11-26). The other three get another answer the corpus gives:
        // "hi" → "how are you doing?" (conversations.yml), and "thank you." for two ways of saying
        // "nice to meet you" whose greetings.yml answer is "thank you. you too.".
        #expect((figures["accuracy"] as? Double ?? 0) >= 0.7)
    }

    @Test func chatsThroughAPipeWithTheDefaultCheckpoint() throws {
        let result = try LSTMChatBinary.run(["chat"], stdin: "hi\nwhat is ai?\n", in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 3)  // two answers and the final newline
    }

    /// The reworded questions are scored with the answers `ask` gives: `--show`'s answers are `ask`'s.
    @Test func scoresTheRewordedQuestionsAsAskAnswersThem() throws {
        let result = try LSTMChatBinary.run(["eval", "--keywords", "datasets/chatterbot-english-reworded.tsv", "--show"], in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 96)
        let answered = lines.dropLast().filter { $0.hasPrefix("yes") }.count
        #expect(lines.last == String(format: "key words: %d of 95 questions answered (%.1f%%)", answered, 100 * Double(answered) / 95))
        // Issue 13's target: at least 70% of the reworded questions answered.
        #expect(answered >= 67, "\(answered) of 95")
        // Every line's answer is ask's (never its fallback), asked as the same known question.
        let shown = lines.dropLast().map { line in
            let parts = line.components(separatedBy: "  ->  ")
            let question = parts[0].dropFirst(5).components(separatedBy: " (asked as: ")
            return (question: question[0], askedAs: question.dropFirst().first.map { String($0.dropLast()) }, answer: parts[1])
        }
        let asked = try LSTMChatBinary.run(["ask", "--min-confidence", "0", "--json"],
                                           stdin: shown.map { $0.question + "\n" }.joined(), in: Self.root)
        let replies = asked.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(replies.count == shown.count)
        for (line, reply) in zip(shown, replies) {
            #expect(reply?["reply"] as? String == line.answer, "\(line.question)")
            #expect(reply?["asked_as"] as? String == line.askedAs, "\(line.question)")
        }
    }

    /// A question in other words, asked as the corpus question it means (issue 13).
    @Test(arguments: [("which mammal has no vocal cords at all", "giraffe"), ("who invented the computer", "babbage")])
    func answersAQuestionInOtherWords(question: String, answer: String) throws {
        let result = try LSTMChatBinary.run(["ask", "--min-confidence", "0", question], in: Self.root)
        #expect(result.stdout.lowercased().contains(answer), "\(result.stdout)")
    }

    /// However the question is typed, the bundled model gives one answer (issue 13).
    @Test func answersAQuestionTheSameHoweverItIsTyped() throws {
        let forms = ["what is ai", "What is AI?", "what is AI .", "  WHAT is  ai!"]
        let answers = try forms.map { form in
            let result = try LSTMChatBinary.run(["ask", form], in: Self.root)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        #expect(Set(answers).count == 1, "\(answers)")
        #expect(answers[0].contains("intelligence") || answers[0].contains("field of science"))
    }

    /// Issue 17's targets at the threshold stored in the model: unrelated questions get the
    /// fallback, reworded and corpus questions answered right are still answered.
    @Test func itsConfidenceThresholdRefusesUnrelatedQuestionsAndKeepsRightAnswers() throws {
        let result = try LSTMChatBinary.run(["eval", "--unrelated", "datasets/chatterbot-english-unrelated.txt",
                                             "--keywords", "datasets/chatterbot-english-reworded.tsv", "--json", "datasets/chatterbot-english"],
                                            in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let confidence = try #require(figures["confidence"] as? [String: Any])
        #expect(confidence["min_confidence"] as? Double != nil, "the bundled model has a threshold")
        #expect((confidence["unrelated_refused"] as? Double ?? 0) >= 0.8)
        #expect((confidence["corpus_right_kept"] as? Double ?? 0) >= 0.97)
        let rewordedLost = (confidence["reworded_right"] as? Double ?? 1) - (confidence["reworded_right_answered"] as? Double ?? 0)
        #expect(rewordedLost <= 0.10)
    }
}
