import Foundation
import Testing
@testable import LSTMChat

@Suite struct VocabularyTests {
    static let sequences = [["b", "a", "c", "a"], ["c", "a", "d"], ["e", "b"]]

    @Test func specialTokensHaveTheFirstFourIds() {
        let vocabulary = Vocabulary(counting: [], minCount: 1, maxSize: nil)
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "<bos>", "<eos>"])
        #expect([Vocabulary.pad, Vocabulary.unknown, Vocabulary.bos, Vocabulary.eos]
                == ["<pad>", "<unk>", "<bos>", "<eos>"].map(vocabulary.id(of:)))
    }

    @Test func tokensAreOrderedByCountThenByToken() {
        // a: 3, b: 2, c: 2, d: 1, e: 1
        let vocabulary = Vocabulary(counting: Self.sequences, minCount: 1, maxSize: nil)
        #expect(vocabulary.tokens == Vocabulary.specialTokens + ["a", "b", "c", "d", "e"])
        #expect(vocabulary.count == 9)
    }

    @Test(arguments: [
        (1, nil, ["a", "b", "c", "d", "e"]),
        (2, nil, ["a", "b", "c"]),
        (4, nil, []),
        (1, 6, ["a", "b"]),
        (1, 4, []),
        (2, 100, ["a", "b", "c"]),
    ] as [(Int, Int?, [String])])
    func minCountAndMaxSizeLimitTheTokens(minCount: Int, maxSize: Int?, kept: [String]) {
        let vocabulary = Vocabulary(counting: Self.sequences, minCount: minCount, maxSize: maxSize)
        #expect(vocabulary.tokens == Vocabulary.specialTokens + kept)
    }

    @Test func countingIgnoresSpecialAndEmptyTokens() {
        let vocabulary = Vocabulary(counting: [["<unk>", "", "x", "<eos>"]], minCount: 1, maxSize: nil)
        #expect(vocabulary.tokens == Vocabulary.specialTokens + ["x"])
    }

    @Test func encodeMapsUnknownTokensToUnknownAndDecodeDropsSpecials() throws {
        let vocabulary = try Vocabulary(tokens: Vocabulary.specialTokens + ["hello", "world"])
        #expect(vocabulary.encode(["hello", "there", "world"]) == [4, Vocabulary.unknown, 5])
        #expect(vocabulary.decode([Vocabulary.bos, 4, Vocabulary.unknown, 5, Vocabulary.eos, Vocabulary.pad]) == ["hello", "world"])
        #expect(vocabulary.unknownWords(in: ["there", "hello", "you", "there"]) == ["there", "you"])
    }

    @Test(arguments: [
        (["<pad>", "<unk>", "<bos>"], "a vocabulary starts with <pad> <unk> <bos> <eos>, not <pad> <unk> <bos>"),
        (["<unk>", "<pad>", "<bos>", "<eos>"], "a vocabulary starts with <pad> <unk> <bos> <eos>, not <unk> <pad> <bos> <eos>"),
        (Vocabulary.specialTokens + ["a", ""], "token 5 of the vocabulary is empty"),
        (Vocabulary.specialTokens + ["a", "b", "a"], "the vocabulary holds a twice"),
        (Vocabulary.specialTokens + ["<unk>"], "the vocabulary holds <unk> twice"),
    ])
    func invalidTokenListsAreRefused(tokens: [String], problem: String) {
        #expect(throws: Vocabulary.InvalidTokens(description: problem)) { try Vocabulary(tokens: tokens) }
    }

    @Test func codableRoundTripIsTheTokenList() throws {
        let vocabulary = Vocabulary(counting: Self.sequences, minCount: 1, maxSize: nil)
        let json = try JSONEncoder().encode(vocabulary)
        #expect(try JSONDecoder().decode([String].self, from: json) == vocabulary.tokens)
        #expect(try JSONDecoder().decode(Vocabulary.self, from: json) == vocabulary)
        #expect(throws: Vocabulary.InvalidTokens.self) { try JSONDecoder().decode(Vocabulary.self, from: Data(#"["a"]"#.utf8)) }
    }
}
