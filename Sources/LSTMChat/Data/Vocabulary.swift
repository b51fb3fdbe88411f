/// The tokens the model knows, each with an id: the four special tokens first, then the corpus's
/// tokens from most to least frequent (ties in code-point order, so the same corpus always gives
/// the same ids).
public struct Vocabulary: Equatable, Codable, Sendable {
    public static let pad: Int32 = 0
    public static let unknown: Int32 = 1
    public static let bos: Int32 = 2
    public static let eos: Int32 = 3
    public static let specialTokens = ["<pad>", "<unk>", "<bos>", "<eos>"]

    /// A token list that cannot be a vocabulary.
    public struct InvalidTokens: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Every token, in id order.
    public let tokens: [String]
    private let ids: [String: Int32]

    public var count: Int { tokens.count }

    /// Counts the tokens of `sequences` and keeps those seen at least `minCount` times, the most
    /// frequent first, up to `maxSize` tokens in all (the four special tokens included).
    public init(counting sequences: [[String]], minCount: Int = 1, maxSize: Int? = nil) {
        var counts: [String: Int] = [:]
        for sequence in sequences {
            for token in sequence { counts[token, default: 0] += 1 }
        }
        self.init(counts: counts, minCount: minCount, maxSize: maxSize)
    }

    /// From each token's count, as `init(counting:)` keeps them.
    public init(counts: [String: Int], minCount: Int = 1, maxSize: Int? = nil) {
        precondition(maxSize.map { $0 >= Self.specialTokens.count } ?? true, "a vocabulary holds at least the 4 special tokens")
        var counts = counts
        for special in Self.specialTokens { counts[special] = nil }
        counts[""] = nil
        var kept = counts.filter { $0.value >= minCount }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            .map(\.key)
        if let maxSize { kept = Array(kept.prefix(maxSize - Self.specialTokens.count)) }
        self.init(checked: Self.specialTokens + kept)
    }

    /// From a saved token list, which must start with the four special tokens in order and hold
    /// no empty or repeated token.
    public init(tokens: [String]) throws {
        guard tokens.starts(with: Self.specialTokens) else {
            throw InvalidTokens(description: "a vocabulary starts with " + Self.specialTokens.joined(separator: " ")
                                + ", not " + tokens.prefix(4).joined(separator: " "))
        }
        if let index = tokens.firstIndex(of: "") {
            throw InvalidTokens(description: "token \(index) of the vocabulary is empty")
        }
        var seen = Set<String>()
        for token in tokens where !seen.insert(token).inserted {
            throw InvalidTokens(description: "the vocabulary holds \(token) twice")
        }
        self.init(checked: tokens)
    }

    private init(checked tokens: [String]) {
        self.tokens = tokens
        ids = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
    }

    /// Saved as its token list alone; reading checks it as `init(tokens:)` does.
    public init(from decoder: Decoder) throws {
        try self.init(tokens: decoder.singleValueContainer().decode([String].self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(tokens)
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool { a.tokens == b.tokens }

    /// The token's id, or `unknown` for a token not in the vocabulary.
    public func id(of token: String) -> Int32 { ids[token] ?? Self.unknown }

    public func encode(_ tokens: [String]) -> [Int32] { tokens.map(id(of:)) }

    /// The tokens of `ids`, leaving out the special tokens.
    public func decode(_ ids: [Int32]) -> [String] {
        ids.compactMap { id in
            precondition(id >= 0 && Int(id) < tokens.count, "token id \(id) is outside the vocabulary")
            return id < Int32(Self.specialTokens.count) ? nil : tokens[Int(id)]
        }
    }

    /// The tokens not in the vocabulary, each once, in the order they first appear.
    public func unknownWords(in tokens: [String]) -> [String] {
        var seen = Set<String>()
        return tokens.filter { ids[$0] == nil && seen.insert($0).inserted }
    }
}
