import Testing
@testable import LSTMChat

@Suite struct KnownQuestionsTests {
    static let known = KnownQuestions([[10, 11, 12, 13, 14, 15], [10, 16, 17, 18], [], [19, 17, 20, 21], [10, 16, 17, 18]])

    @Test func repeatedAndEmptyQuestionsAreLeftOutAndTheRestKeptInFirstSeenOrder() {
        #expect(Array(Self.known.questions) == [[10, 11, 12, 13, 14, 15], [10, 16, 17, 18], [19, 17, 20, 21]])
    }

    @Test("a question is found token for token", arguments: [
        ([19, 17, 20, 21], 2),
        ([10, 16, 17, 18], 1),
        ([10, 16, 17], nil),      // a prefix
        ([10, 16, 17, 18, 1], nil),
        ([18, 17, 16, 10], nil),  // the same words in another order
        ([], nil),
    ] as [([Int32], Int?)])
    func questionsAreFoundTokenForToken(question: [Int32], index: Int?) {
        #expect(Self.known.index(of: question) == index)
        #expect(Self.known.contains(question) == (index != nil))
    }

    @Test func manyQuestionsAreEachFoundAtTheirOwnIndex() {
        // 20,000 questions in a table of 65,536 slots: long probe runs, each list still its own.
        let lists = (0..<20_000).map { [Int32($0 % 97), Int32($0 / 97)] }
        let known = KnownQuestions(lists + lists)
        #expect(known.questions.count == 20_000)
        #expect(lists.indices.allSatisfy { known.index(of: lists[$0]) == $0 })
        #expect(!known.contains([97, 0]))
    }
}
