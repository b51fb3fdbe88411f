import Testing
@testable import LSTMChat

@Suite struct KnownQuestionsTests {
    // Ids 10… are words; 1 is <unk>. "which(10) mammal(11) has(12) no(13) vocal(14) cords(15)",
    // "which(10) ocean(16) is(17) largest(18)", "what(19) is(17) your(20) name(21)".
    static let known = KnownQuestions([[10, 11, 12, 13, 14, 15], [10, 16, 17, 18], [19, 17, 20, 21], [10, 16, 17, 18]])

    @Test func repeatedQuestionsAreKeptOnceInFirstSeenOrder() {
        #expect(Self.known.questions == [[10, 11, 12, 13, 14, 15], [10, 16, 17, 18], [19, 17, 20, 21]])
    }

    @Test func aKnownQuestionIsItsOwnNearestAtSimilarityOne() throws {
        let nearest = try #require(Self.known.nearest([19, 17, 20, 21]))
        #expect(nearest.question == [19, 17, 20, 21] && nearest.similarity == 1)
    }

    @Test("extra, missing and reordered words still find the question meant", arguments: [
        ([10, 11, 12, 13, 14, 15, 30, 31], [10, 11, 12, 13, 14, 15]),  // "… at all"
        ([11, 13, 14, 15], [10, 11, 12, 13, 14, 15]),                  // words left out
        ([17, 21, 20, 19], [19, 17, 20, 21]),                           // another order
        ([16, 17, 18, 1], [10, 16, 17, 18]),                            // and a word it does not know
    ])
    func nearWordsMatch(question: [Int32], expected: [Int32]) {
        #expect(Self.known.match(question) == expected)
    }

    @Test("questions sharing too little are asked as typed", arguments: [
        [Int32]([30, 31, 32]),      // no word in common
        [1, 1, 1, 17],              // mostly unknown words, and one common word
        [17, 30, 31, 32, 33],       // one common word among new ones
        [],
    ])
    func farQuestionsAreNotMatched(question: [Int32]) {
        #expect(Self.known.match(question) == question)
    }

    @Test func rareWordsCountMoreThanCommonOnes() throws {
        // "is" (17) is in two known questions, "name" (21) in one: sharing "name" is closer.
        let withRare = try #require(Self.known.nearest([21, 40]))
        let withCommon = try #require(Self.known.nearest([17, 40]))
        #expect(withRare.similarity > withCommon.similarity)
        #expect(withRare.question == [19, 17, 20, 21])
    }

    @Test func theThresholdDecides() {
        let question: [Int32] = [10, 16, 30, 31]  // "which ocean" and two new words
        let similarity = Self.known.nearest(question)!.similarity
        #expect(similarity > 0 && similarity < 1)
        #expect(Self.known.match(question, threshold: similarity) == [10, 16, 17, 18])
        #expect(Self.known.match(question, threshold: similarity.nextUp) == question)
    }

    @Test func tiesGoToTheQuestionSeenFirst() {
        let known = KnownQuestions([[10, 11], [10, 12]])
        #expect(known.match([10], threshold: 0.1) == [10, 11])
    }
}
