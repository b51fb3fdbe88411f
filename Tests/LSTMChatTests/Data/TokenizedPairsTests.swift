import Foundation
import Testing
@testable import LSTMChat

@Suite struct TokenizedPairsTests {
    static let pairs: [EncodedPair] = [([4, 5, 6], [7]), ([], [8, 9]), ([4, 5, 6], [10, 11]), ([12], []), ([13], [14, 15, 16])]

    @Test func flatStoreGivesBackEveryPair() {
        let flat = TokenizedPairs(Self.pairs)
        #expect(flat.count == 5 && flat.tokenCount == 16)
        for (i, pair) in Self.pairs.enumerated() {
            #expect(flat[i] == pair)
            #expect(flat.questionLength(i) == pair.question.count && flat.answerLength(i) == pair.answer.count)
            #expect(flat.question(i, limit: 2) == Array(pair.question.prefix(2)) && flat.answer(i, limit: 1) == Array(pair.answer.prefix(1)))
        }
        #expect(TokenizedPairs([EncodedPair]()).count == 0)
    }

    @Test func firstOfEachQuestionKeepsTheFirstSeenAndLeavesOutEmptySides() {
        let flat = TokenizedPairs(Self.pairs)
        #expect(flat.firstOfEachQuestion(among: 0..<5) == [0, 4])
        #expect(flat.firstOfEachQuestion(among: [4, 2, 0]) == [4, 2])
    }

    /// One streaming pass gives what reading every pair, tokenizing, counting a vocabulary over
    /// the training pairs and encoding gave before, and the same data fingerprint.
    @Test(arguments: [0.0, 0.4])
    func builderEncodesAsTokenizerAndVocabularyDo(valFraction: Double) throws {
        let texts = [("What is AI?", "Artificial intelligence."), ("what is ai", "A field of study."),
                     ("Who are you", "I am <unk> a bot, aren't I?"), ("Hello there", "Hi!\n  indented"), ("zebra", "rare words here")]
        let tokenizer = Tokenizer(kind: .word, keepsText: true)
        var builder = TokenizedPairs.Builder(tokenizer: tokenizer)
        for (q, a) in texts { try builder.append(question: q, answer: a) }
        let isValidation = validationShare(count: texts.count, fraction: valFraction, seed: 3)
        let built = builder.finish(vocabulary: { Vocabulary(counts: $0, minCount: 1, maxSize: 12) }, counted: { !isValidation[$0] })

        let tokens = texts.map { (tokenizer.tokenizeQuestion($0.0), tokenizer.tokenizeAnswer($0.1)) }
        let train = splitForValidation(tokens, fraction: valFraction, seed: 3).train
        let vocabulary = Vocabulary(counting: train.flatMap { [$0.0, $0.1] }, minCount: 1, maxSize: 12)
        #expect(built.vocabulary == vocabulary)
        #expect((0..<texts.count).map { built.pairs.question($0) } == tokens.map { vocabulary.encode($0.0) })
        #expect((0..<texts.count).map { built.pairs.answer($0) } == tokens.map { vocabulary.encode($0.1) })
        #expect(built.fingerprint == dataFingerprint(texts.map { $0.0 + "\t" + $0.1 + "\n" }))
    }

    /// Ids take two bytes when the vocabulary has at most 65,536 words, four when it has more;
    /// the pairs read the same either way.
    @Test(arguments: [100, 70_000])
    func builderStoresTokensInTheNarrowestWidth(words: Int) throws {
        let tokenizer = Tokenizer(kind: .word, keepsText: true)
        let texts = [((0..<words).map { "w\($0)" }.joined(separator: " "), "w1 w0"), ("w2", "w\(words - 1) w3")]
        var builder = TokenizedPairs.Builder(tokenizer: tokenizer)
        for (q, a) in texts { try builder.append(question: q, answer: a) }
        let built = builder.finish(vocabulary: { Vocabulary(counts: $0) }, counted: { _ in true })
        #expect(built.vocabulary.count > words)
        #expect(built.pairs.withArrays { tokens, _ in tokens.width } == (built.vocabulary.count <= 65_536 ? 2 : 4))
        let encoded = texts.map { (built.vocabulary.encode(tokenizer.tokenizeQuestion($0.0)), built.vocabulary.encode(tokenizer.tokenizeAnswer($0.1))) }
        #expect(built.pairs == TokenizedPairs(encoded as [EncodedPair]))
    }

    @Test func questionsOfRowsAreCutToTheLimitAndRepeatsCanBeLeftOut() {
        let flat = TokenizedPairs(Self.pairs)
        let questions = flat.questions(of: [4, 2, 0], limit: 2)
        #expect(Array(questions) == [Array(Self.pairs[4].question.prefix(2)), Array(Self.pairs[2].question.prefix(2)), Array(Self.pairs[0].question.prefix(2))])
        let repeated = flat.questions(of: [0, 1, 0, 1])
        #expect(Array(repeated.distinct()) == [Self.pairs[0].question, Self.pairs[1].question].filter { !$0.isEmpty })
    }

    @Test func exactMatchOverTheFlatStoreSamplesAsOverArrays() {
        let exact = ExactMatch(pairs: TokenizedPairs(Self.pairs), rows: [4, 2, 0, 1, 3], limit: 0)
        #expect(exact.questions == [[13], [4, 5, 6]])
        #expect(exact.references == [[[14, 15, 16]], [[10, 11], [7]]])
    }
}

@Suite struct TokenListsJSONTests {
    @Test func listsAsLstmchatWroteThemRead() {
        #expect(TokenListsJSON.decode("[[1,22,333],[],[2147483647],[0]]") == [[1, 22, 333], [], [Int32.max], [0]])
        #expect(TokenListsJSON.decode("[]") == [])
    }

    @Test func pythonsSpacingReads() {
        #expect(TokenListsJSON.decode(" [[1, 2],\n [3] ] ") == [[1, 2], [3]])
        #expect(TokenListsJSON.decode("[[-4]]") == [[-4]])
    }

    @Test(arguments: ["", "[", "[[1,2]", "[[1,]]", "[[1.5]]", "[[2147483648]]", "[[1]] x", "[1]", "[[\"1\"]]", "{}"])
    func anythingElseIsRefused(text: String) {
        #expect(TokenListsJSON.decode(text) == nil)
    }
}
