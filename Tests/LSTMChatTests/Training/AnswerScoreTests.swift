import Testing
@testable import LSTMChat

@Suite struct AnswerScoreTests {
    @Test func anyReferenceCountsAsExact() {
        let references = [["hello", "!"], ["hi", "there"]]
        #expect(AnswerScore.exactMatch(["hi", "there"], references: references))
        #expect(!AnswerScore.exactMatch(["hi"], references: references))
    }

    static let f1Cases: [([String], [String], Double)] = [
        (["a", "b", "c"], ["a", "b", "c"], 1),
        (["a", "b"], ["a", "b", "c", "d"], 2 * 1.0 * 0.5 / 1.5),
        (["x"], ["a"], 0),
        (["a", "a"], ["a"], 2 * 0.5 * 1.0 / 1.5),  // a repeated token counts once per occurrence in the reference
        ([], [], 1),
    ]

    @Test(arguments: f1Cases)
    func tokenF1(answer: [String], reference: [String], expected: Double) {
        #expect(abs(AnswerScore.tokenF1(answer, references: [reference]) - expected) < 1e-12)
    }

    @Test func bestReferenceWins() {
        #expect(AnswerScore.tokenF1(["good", "morning"], references: [["bad"], ["good", "morning"]]) == 1)
    }
}
