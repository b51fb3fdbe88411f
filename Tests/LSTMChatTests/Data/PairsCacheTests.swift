import Foundation
import Testing
@testable import LSTMChat

@Suite struct PairsCacheTests {
    let directory: TemporaryDirectory
    let data: URL, cache: URL
    let vocabulary = try! Vocabulary(tokens: Vocabulary.specialTokens + ["a", "b", "c"])
    let tokenizer = Tokenizer(kind: .word, keepsText: true)
    let pairs = TokenizedPairs([([4, 5], [6]), ([6], [4, 4, 5]), ([5], [1])] as [EncodedPair])

    init() throws {
        directory = try TemporaryDirectory()
        data = try directory.file("data.tsv", contents: "a b\tc\nc\ta a b\nb\tz\n")
        cache = directory.url.appendingPathComponent(PairsCache.fileName)
    }

    func key() throws -> PairsCache.Key { try PairsCache.Key(files: [data.path], tokenizer: tokenizer, vocabulary: vocabulary) }

    /// Reads the cache, with the problems it reports.
    func read() throws -> (cached: (pairs: TokenizedPairs, fingerprint: String)?, problems: [String]) {
        var problems: [String] = []
        let cached = PairsCache.read(cache, key: try key(), vocabularySize: vocabulary.count) { problems.append($0) }
        return (cached, problems)
    }

    @Test func writtenCacheReadsBackMapped() throws {
        try PairsCache.write(pairs, fingerprint: "f00d", key: key(), to: cache)
        let (cached, problems) = try read()
        #expect(problems.isEmpty)
        #expect(cached.map { $0.pairs == pairs } == true && cached?.fingerprint == "f00d")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == ["data.tsv", "pairs.cache"])
    }

    /// Pairs whose ids take two bytes are cached in two bytes, and read back the same.
    @Test func narrowPairsAreCachedNarrow() throws {
        let texts = [("a b", "c"), ("c", "a a b"), ("b", "z")]
        var builder = TokenizedPairs.Builder(tokenizer: tokenizer)
        for (q, a) in texts { try builder.append(question: q, answer: a) }
        let narrow = builder.finish(vocabulary: { _ in vocabulary }, counted: { _ in true }).pairs
        let encoded = texts.map { (vocabulary.encode(tokenizer.tokenizeQuestion($0.0)), vocabulary.encode(tokenizer.tokenizeAnswer($0.1))) }
        #expect(narrow.withArrays { tokens, _ in tokens.width } == 2 && narrow == TokenizedPairs(encoded as [EncodedPair]))
        try PairsCache.write(narrow, fingerprint: "f00d", key: key(), to: cache)
        let (cached, problems) = try read()
        #expect(problems.isEmpty)
        #expect(cached?.pairs.withArrays { tokens, _ in tokens.width } == 2 && cached.map { $0.pairs == narrow } == true)
    }

    /// A cache of the first layout (tokens always four bytes, no "tokenBytes") is stale: not
    /// read, and nothing to report.
    @Test func cacheOfTheFirstLayoutIsStale() throws {
        try PairsCache.write(pairs, fingerprint: "f00d", key: key(), to: cache)
        var bytes = try Data(contentsOf: cache)
        bytes.replaceSubrange(0..<8, with: Array("LCPAIRS1".utf8))
        try bytes.write(to: cache)
        let (cached, problems) = try read()
        #expect(cached == nil && problems.isEmpty)
    }

    @Test func noCacheIsNoCache() throws {
        let (cached, problems) = try read()
        #expect(cached == nil && problems.isEmpty)
    }

    /// A cache of other data, tokenizer or vocabulary is stale: not read, and nothing to report.
    @Test(arguments: ["size", "content", "tokenizer", "vocabulary"])
    func staleCacheIsNotUsed(change: String) throws {
        var key = try key()
        switch change {
        case "size": try Data("a b\tc\nc\ta a b\nb\tz\nc\tc\n".utf8).write(to: data)
        case "content": try Data("a b\tc\nc\ta a b\nb\ty\n".utf8).write(to: data)  // the same size
        case "tokenizer": key = try PairsCache.Key(files: [data.path], tokenizer: Tokenizer(kind: .char), vocabulary: vocabulary)
        default: key = try PairsCache.Key(files: [data.path], tokenizer: tokenizer, vocabulary: Vocabulary(tokens: vocabulary.tokens + ["d"]))
        }
        try PairsCache.write(pairs, fingerprint: "f00d", key: key, to: cache)
        let (cached, problems) = try read()
        #expect(cached == nil && problems.isEmpty)
    }

    /// A cache cut short or with a byte changed anywhere is never trusted, and says why.
    @Test(arguments: ["cut", "header", "token", "offset", "magic"])
    func damagedCacheIsNotUsed(damage: String) throws {
        try PairsCache.write(pairs, fingerprint: "f00d", key: key(), to: cache)
        var bytes = try Data(contentsOf: cache)
        switch damage {
        case "cut": bytes.removeLast(3)
        case "header": bytes[20] ^= 0x01
        case "token": bytes[bytes.count - 2] ^= 0x01
        case "offset": bytes[bytes.count - 4 * pairs.tokenCount - 5] ^= 0x01
        default: bytes[0] = UInt8(ascii: "X")
        }
        try bytes.write(to: cache)
        let (cached, problems) = try read()
        #expect(cached == nil)
        #expect(problems.count == 1)
    }

    /// Even with a matching hash, a token outside the vocabulary is refused.
    @Test func tokenOutsideTheVocabularyIsRefused() throws {
        try PairsCache.write(TokenizedPairs([([4], [99])] as [EncodedPair]), fingerprint: "f00d", key: key(), to: cache)
        let (cached, problems) = try read()
        #expect(cached == nil && problems == ["its contents are damaged"])
    }

    /// The word hash of a file read in pieces is that of its bytes at once.
    @Test func fileHashIsThatOfItsBytes() throws {
        let bytes = (0..<(3 << 20) + 5).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let file = try directory.file("bytes.bin")
        try Data(bytes).write(to: file)
        let (size, hash) = try PairsCache.Key.hash(file: file.path)
        #expect(size == bytes.count)
        #expect(hash == bytes.withUnsafeBytes { PairsCache.wordHash($0, from: PairsCache.wordHashSeed) })
        #expect(hash != bytes.dropLast().withUnsafeBytes { PairsCache.wordHash(UnsafeRawBufferPointer($0), from: PairsCache.wordHashSeed) })
    }
}
