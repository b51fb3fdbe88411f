import Foundation

/// Question/answer pairs as token ids, stored flat: every pair's question and then its answer in
/// one token array, and where each begins in an array of offsets,
///
///     question i = tokens[offsets[2i]   ..< offsets[2i+1]]
///     answer i   = tokens[offsets[2i+1] ..< offsets[2i+2]]
///
/// so that a corpus of millions of pairs is two arrays, not millions of strings and small arrays:
/// the 500,000 pairs of the vocab50k corpus (46 MB of text) are 11 million tokens, 26 MB here
/// (a token takes two bytes when the vocabulary has at most 65,536 words: `TokenArray`).
/// The arrays are either in memory or mapped from the cache file beside a run's checkpoint
/// (`PairsCache`); pairs are read by index, and batching orders indices, never copies.
public struct TokenizedPairs: @unchecked Sendable {
    /// The two arrays, in memory of their own or in a mapped file.
    final class Storage {
        let tokens: TokenArray
        let offsets: UnsafeBufferPointer<UInt32>
        private let release: () -> Void

        /// Over memory that stays valid until `release` gives it back (malloc's, a mapped file's).
        init(tokens: TokenArray, offsets: UnsafeBufferPointer<UInt32>, release: @escaping () -> Void) {
            self.tokens = tokens
            self.offsets = offsets
            self.release = release
        }

        /// Copied once into buffers of their own, so that readers can hold plain pointers.
        convenience init(tokens: [Int32], offsets: [UInt32]) {
            let t = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(tokens.count, 1))
            _ = t.initialize(from: tokens)
            let o = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: offsets.count)
            _ = o.initialize(from: offsets)
            self.init(tokens: TokenArray(UnsafeBufferPointer(rebasing: t[..<tokens.count])), offsets: UnsafeBufferPointer(o)) {
                t.deallocate(); o.deallocate()
            }
        }

        deinit { release() }
    }

    let storage: Storage

    init(storage: Storage) {
        precondition(storage.offsets.count % 2 == 1, "two offsets per pair and one at the end")
        self.storage = storage
    }

    /// From offsets (`2 × count + 1`, rising from 0 to `tokens.count`) and tokens.
    init(tokens: [Int32], offsets: [UInt32]) {
        precondition(offsets.first == 0 && offsets.last.map(Int.init) == tokens.count)
        self.init(storage: Storage(tokens: tokens, offsets: offsets))
    }

    /// The pairs given, in their order.
    public init<S: Sequence>(_ pairs: S) where S.Element == EncodedPair {
        var tokens: [Int32] = [], offsets: [UInt32] = [0]
        for pair in pairs {
            tokens += pair.question
            offsets.append(UInt32(tokens.count))
            tokens += pair.answer
            offsets.append(UInt32(tokens.count))
        }
        self.init(tokens: tokens, offsets: offsets)
    }

    public var count: Int { storage.offsets.count / 2 }
    /// Tokens of all questions and answers.
    public var tokenCount: Int { storage.tokens.count }

    /// Pair `i`'s question (`part` 0) or answer (`part` 1) as indices into the token array.
    private func range(_ i: Int, _ part: Int) -> Range<Int> {
        precondition(i >= 0 && i < count, "pair \(i) of \(count)")
        return Int(storage.offsets[2 * i + part])..<Int(storage.offsets[2 * i + part + 1])
    }

    public func questionLength(_ i: Int) -> Int { range(i, 0).count }
    public func answerLength(_ i: Int) -> Int { range(i, 1).count }

    /// Pair `i`'s question, its first `limit` tokens at most.
    public func question(_ i: Int, limit: Int = .max) -> [Int32] { tokens(range(i, 0), limit: limit) }
    /// Pair `i`'s answer, its first `limit` tokens at most.
    public func answer(_ i: Int, limit: Int = .max) -> [Int32] { tokens(range(i, 1), limit: limit) }

    public subscript(i: Int) -> EncodedPair { (question(i), answer(i)) }

    private func tokens(_ range: Range<Int>, limit: Int) -> [Int32] {
        withExtendedLifetime(storage) { Array(storage.tokens[range.prefix(limit)]) }
    }

    /// Pair `i`'s question where it is (valid while `storage` lives).
    private func questionTokens(_ i: Int) -> Slice<TokenArray> { storage.tokens[range(i, 0)] }

    /// A hash of pair `i`'s question (`ListIndex.hash`).
    func questionHash(_ i: Int) -> Int { withExtendedLifetime(storage) { ListIndex.hash(questionTokens(i)) } }

    /// Of `rows` (indices of pairs), the first pair of each distinct question, in the order first
    /// seen; pairs with an empty question or answer are left out. Found by hashing the questions
    /// in place (`ListIndex`), so that 500,000 questions cost a table of integers, not 500,000 arrays.
    public func firstOfEachQuestion<S: Sequence>(among rows: S) -> [Int] where S.Element == Int {
        withExtendedLifetime(storage) {
            var index = ListIndex(capacity: count), firsts: [Int] = []
            for i in rows where questionLength(i) > 0 && answerLength(i) > 0 && index.insert(i, questionTokens(i), listAt: questionTokens) == nil {
                firsts.append(i)
            }
            return firsts
        }
    }

    /// The questions of `rows`, each cut to its first `limit` tokens, as lists that share this
    /// store's tokens (nothing copied).
    public func questions(of rows: [Int], limit: Int = .max) -> TokenLists {
        TokenLists(questionsOf: self, rows: rows, limit: limit)
    }

    /// Where pair `i`'s question is in the token array.
    func questionRange(_ i: Int) -> Range<Int> { range(i, 0) }

    /// Runs `body` over the two arrays (for writing them out and hashing them).
    func withArrays<R>(_ body: (TokenArray, UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(storage.tokens, storage.offsets) }
    }

    static func == (a: Self, b: Self) -> Bool {
        a.withArrays { at, ao in b.withArrays { bt, bo in at.elementsEqual(bt) && ao.elementsEqual(bo) } }
    }
}

extension TokenizedPairs {
    /// Tokenizes question/answer texts one pair at a time into the flat arrays, without holding the
    /// texts: each distinct word gets a provisional id as it is first seen, and `finish` turns
    /// them into the vocabulary's ids once every word has been counted.
    public struct Builder {
        public let tokenizer: Tokenizer
        private let tokens = GrowingBuffer<Int32>(), offsets = GrowingBuffer<UInt32>()
        private var words: [String] = [], ids: [String: Int32] = [:]
        private var hash = FNV1a()

        public init(tokenizer: Tokenizer) {
            self.tokenizer = tokenizer
            offsets.append(0)
        }

        public var count: Int { offsets.count / 2 }

        public mutating func append(question: String, answer: String) throws {
            for tokens in [tokenizer.tokenizeQuestion(question), tokenizer.tokenizeAnswer(answer)] {
                for word in tokens {
                    if let id = ids[word] {
                        self.tokens.append(id)
                    } else {
                        ids[word] = Int32(words.count)
                        self.tokens.append(Int32(words.count))
                        words.append(word)
                    }
                }
                guard let end = UInt32(exactly: self.tokens.count) else {
                    throw CommandFailure("more than \(UInt32.max) tokens in the data; lstmchat holds at most that many")
                }
                offsets.append(end)
            }
            // The data's fingerprint, as `dataFingerprint` reads the pairs.
            hash.add(question); hash.add("\t"); hash.add(answer); hash.add("\n")
        }

        /// The pairs in the vocabulary's ids (a word it lacks is `<unk>`) and the data's
        /// fingerprint (`dataFingerprint` of its pairs). `vocabulary` is given, or else made from
        /// the counts of the words of the pairs that `counted` keeps (the training pairs).
        public consuming func finish(vocabulary: (_ counts: [String: Int]) -> Vocabulary,
                                     counted: (Int) -> Bool) -> (pairs: TokenizedPairs, vocabulary: Vocabulary, fingerprint: String) {
            var counts = [Int](repeating: 0, count: words.count)
            for i in 0..<count where counted(i) {
                for t in Int(offsets[2 * i])..<Int(offsets[2 * i + 2]) { counts[Int(tokens[t])] += 1 }
            }
            let vocabulary = vocabulary(Dictionary(uniqueKeysWithValues: zip(words, counts).filter { $0.1 > 0 }))
            let final = words.map(vocabulary.id(of:))
            for t in 0..<tokens.count { tokens[t] = final[Int(tokens[t])] }
            // The buffers become the pairs' own, not copied: 5,000,000 pairs are 440 MB of tokens,
            // or 220 once narrowed to two bytes a token where the vocabulary allows.
            let (o, offsetCount) = offsets.take()
            var (t, tokenCount) = tokens.take()
            let width = vocabulary.count <= TokenArray.narrowVocabularyLimit ? 2 : 4
            if width == 2 {
                TokenArray.narrowInPlace(t, count: tokenCount)
                t = realloc(t, max(2 * tokenCount, 1)).map { $0.assumingMemoryBound(to: Int32.self) } ?? t
            }
            let storage = Storage(tokens: TokenArray(base: t, count: tokenCount, width: width),
                                  offsets: UnsafeBufferPointer(start: o, count: offsetCount)) { free(t); free(o) }
            return (TokenizedPairs(storage: storage), vocabulary, hash.hex)
        }
    }
}

/// Elements in memory from malloc, grown by realloc, for building arrays of hundreds of MB: a
/// large block grows by remapping its pages, where an array's growth copies it and holds the
/// old and the new at once.
final class GrowingBuffer<Element: BitwiseCopyable> {
    private var base: UnsafeMutablePointer<Element>?
    private(set) var count = 0
    private var capacity = 0

    func append(_ x: Element) {
        if count == capacity {
            capacity = max(1024, 2 * capacity)
            guard let grown = realloc(base, capacity * MemoryLayout<Element>.stride) else { fatalError("out of memory for \(capacity) elements") }
            base = grown.assumingMemoryBound(to: Element.self)
        }
        base![count] = x
        count += 1
    }

    subscript(i: Int) -> Element {
        get { base![i] }
        set { base![i] = newValue }
    }

    /// The elements' memory (from malloc) and count, the caller's to free from now on; the
    /// buffer is empty after.
    func take() -> (UnsafeMutablePointer<Element>, count: Int) {
        defer { (base, count, capacity) = (nil, 0, 0) }
        return (base ?? malloc(MemoryLayout<Element>.stride)!.assumingMemoryBound(to: Element.self), count)
    }

    deinit { free(base) }
}

/// 64-bit FNV-1a over bytes: `dataFingerprint`'s hash, fed a piece at a time.
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
    }

    var hex: String { String(value, radix: 16) }
}
