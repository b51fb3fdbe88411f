import Foundation
import Testing
@testable import LSTMChat

/// The corpora shipped in `datasets/` read cleanly and hold the pairs `datasets/README.md` lists.
@Suite struct DatasetsTests {
    static let datasets = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets")

    static func path(_ relative: String) -> String { datasets.appendingPathComponent(relative).path }

    /// As in datasets/README.md.
    static let chatterBotCounts = [
        "ai.yml": 105, "botprofile.yml": 19, "coding.yml": 184, "computers.yml": 35, "conversations.yml": 106,
        "emotion.yml": 207, "food.yml": 17, "gossip.yml": 19, "greetings.yml": 25, "health.yml": 8,
        "history.yml": 8, "humor.yml": 31, "literature.yml": 45, "money.yml": 31, "movies.yml": 23,
        "politics.yml": 15, "psychology.yml": 64, "science.yml": 28, "sports.yml": 26, "tech_support.yml": 1050,
        "trivia.yml": 260,
    ]

    @Test func chatterBotEnglishHasTheDocumentedPairCounts() throws {
        let pairs = try DatasetReader.read(Self.path("chatterbot-english"))
        #expect(pairs.count == 2306)
        let counts = Dictionary(grouping: pairs) { URL(fileURLWithPath: $0.file).lastPathComponent }.mapValues(\.count)
        #expect(counts == Self.chatterBotCounts)
        #expect(Self.chatterBotCounts.values.reduce(0, +) == 2306)
    }

    @Test(arguments: [("examples/small.tsv", 40), ("examples/parallel", 30)])
    func examplesHaveTheDocumentedPairCounts(path: String, count: Int) throws {
        let pairs = try DatasetReader.read(Self.path(path))
        #expect(pairs.count == count)
        // Every example answer is short, as the README says.
        #expect(pairs.allSatisfy { (2...8).contains($0.answer.split(separator: " ").count) })
    }

    @Test func rewordedQuestionsReadAndAreNotCorpusQuestions() throws {
        let questions = try KeywordQuestion.read(Self.path("chatterbot-english-reworded.tsv"))
        #expect(questions.count == 95)
        let tokenizer = Tokenizer(kind: .word)
        let corpus = Set(try DatasetReader.read(Self.path("chatterbot-english")).map { tokenizer.tokenize($0.question) })
        #expect(questions.allSatisfy { !corpus.contains(tokenizer.tokenize($0.question)) })
    }

    @Test func unrelatedQuestionsReadAndAreNotCorpusQuestions() throws {
        let questions = try QuestionList.read(Self.path("chatterbot-english-unrelated.txt"))
        #expect(questions.count == 72)
        #expect(Set(questions).count == questions.count)
        let tokenizer = Tokenizer(kind: .word)
        let corpus = Set(try DatasetReader.read(Self.path("chatterbot-english")).map { tokenizer.tokenize($0.question) })
        #expect(questions.allSatisfy { !corpus.contains(tokenizer.tokenize($0)) })
    }
}
