/// Lists of token ids stored flat: a model's known questions. List i is
///
///     tokens[spans[2i] ..< spans[2i+1]]
///
/// so that 500,000 questions are one token buffer and one array of bounds, not 500,000 small
/// arrays. The token buffer is the lists' own, or the `TokenizedPairs` they were taken from
/// (a training run's questions are not copied to be saved); then the bounds are the pairs'
/// indices alone. In a checkpoint they are two I32 tensors: the tokens one list after another,
/// and the offsets where each list begins.
public struct TokenLists: RandomAccessCollection, Equatable, @unchecked Sendable {
    /// Keeps `tokens` valid.
    private let owner: AnyObject
    private let tokens: TokenArray
    private let bounds: Bounds

    /// Where each list is in `tokens`.
    private enum Bounds {
        /// List i is tokens[spans[2i] ..< spans[2i+1]].
        case spans([UInt32])
        /// List i is the question of pair rows[i], its first `limit` tokens at most: half the
        /// memory of its spans (500,000 questions: 2 MB).
        case questions(of: TokenizedPairs, rows: [UInt32], limit: Int)

        var count: Int {
            switch self {
            case .spans(let spans): spans.count / 2
            case .questions(_, let rows, _): rows.count
            }
        }

        func span(_ i: Int) -> Range<Int> {
            switch self {
            case .spans(let spans): Int(spans[2 * i])..<Int(spans[2 * i + 1])
            case .questions(let pairs, let rows, let limit): pairs.questionRange(Int(rows[i])).prefix(limit)
            }
        }

        /// The bounds of lists `kept` (indices, rising).
        func subset(_ kept: [Int]) -> Bounds {
            switch self {
            case .spans(let spans):
                var subset = [UInt32](); subset.reserveCapacity(2 * kept.count)
                for i in kept { subset.append(spans[2 * i]); subset.append(spans[2 * i + 1]) }
                return .spans(subset)
            case .questions(let pairs, let rows, let limit):
                return .questions(of: pairs, rows: kept.map { rows[$0] }, limit: limit)
            }
        }
    }

    /// A buffer of tokens of its own.
    private final class OwnedTokens {
        let buffer: UnsafeMutableBufferPointer<Int32>
        init(count: Int) { buffer = .allocate(capacity: Swift.max(count, 1)) }
        deinit { buffer.deallocate() }
    }

    private init(owner: AnyObject, tokens: TokenArray, bounds: Bounds) {
        (self.owner, self.tokens, self.bounds) = (owner, tokens, bounds)
    }

    public init() { self.init([]) }

    public init(_ lists: [[Int32]]) {
        let total = lists.reduce(0) { $0 + $1.count }
        self.init(tokenCount: total, offsets: lists.reduce(into: [0]) { $0.append($0.last! + Int32($1.count)) }) { buffer in
            var i = 0
            for list in lists { for t in list { buffer[i] = t; i += 1 } }
        }
    }

    /// From `offsets` (count + 1 of them, rising from 0 to `tokenCount`; the caller has checked)
    /// and the tokens, which `fill` writes into the lists' own buffer (straight from a file).
    init(tokenCount: Int, offsets: [Int32], fill: (UnsafeMutableBufferPointer<Int32>) throws -> Void) rethrows {
        precondition(offsets.first == 0 && offsets.last.map(Int.init) == tokenCount, "offsets rise from 0 to the token count")
        let owned = OwnedTokens(count: tokenCount)
        let buffer = UnsafeMutableBufferPointer(rebasing: owned.buffer[..<tokenCount])
        try fill(buffer)
        var spans = [UInt32](); spans.reserveCapacity(2 * (offsets.count - 1))
        for i in 0..<(offsets.count - 1) { spans += [UInt32(offsets[i]), UInt32(offsets[i + 1])] }
        self.init(owner: owned, tokens: TokenArray(UnsafeBufferPointer(buffer)), bounds: .spans(spans))
    }

    /// The questions of pairs `rows`, each cut to its first `limit` tokens, sharing the pairs' tokens.
    init(questionsOf pairs: TokenizedPairs, rows: [Int], limit: Int) {
        let tokens = pairs.withArrays { tokens, _ in tokens }
        self.init(owner: pairs.storage, tokens: tokens, bounds: .questions(of: pairs, rows: rows.map { UInt32($0) }, limit: limit))
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { bounds.count }
    /// Tokens in all the lists.
    public var tokenCount: Int { (0..<count).reduce(0) { $0 + bounds.span($1).count } }

    public subscript(i: Int) -> [Int32] { withList(i) { Array($0) } }

    /// Runs `body` over list `i` (where it is, when its tokens are four bytes).
    public func withList<R>(_ i: Int, _ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try tokens.withInt32s(bounds.span(i), body) }
    }

    /// List `i` where it is, valid while `owner` lives.
    private func list(_ i: Int) -> Slice<TokenArray> { tokens[bounds.span(i)] }

    /// The lists without repeats (the first of each kept, in order) and without empty ones.
    public func distinct() -> TokenLists { distinctAndIndexed().lists }

    /// `distinct()`, and a hash table of its lists for `find`.
    func distinctAndIndexed() -> (lists: TokenLists, index: ListIndex) {
        withExtendedLifetime(owner) {
            var index = ListIndex(capacity: count), kept: [Int] = []
            for i in 0..<count where !bounds.span(i).isEmpty {
                if index.insert(kept.count, list(i), listAt: { list(kept[$0]) }) == nil { kept.append(i) }
            }
            return (TokenLists(owner: owner, tokens: tokens, bounds: bounds.subset(kept)), index)
        }
    }

    /// The index of a list equal to `list` in `index` (made by `distinctAndIndexed`), if there is one.
    func find(_ list: UnsafeBufferPointer<Int32>, in index: ListIndex) -> Int? {
        withExtendedLifetime(owner) { index.find(list, listAt: self.list) }
    }

    /// The two I32 tensors a checkpoint stores them as, `NAME.tokens` and `NAME.offsets`,
    /// written from where the tokens are.
    func outputs(name: String) -> [SafetensorsFile.Output] {
        let lists = self
        let tokenCount = self.tokenCount
        let tokens = SafetensorsFile.Output(name: name + ".tokens", shape: [tokenCount], dtype: .i32) { write in
            for i in 0..<lists.count { try lists.withList(i) { try SafetensorsFile.int32s($0, to: write) } }
        }
        let offsets = SafetensorsFile.Output(name: name + ".offsets", shape: [count + 1], dtype: .i32) { write in
            func put(_ offset: Int32) throws {
                try withUnsafePointer(to: offset) { try SafetensorsFile.int32s(UnsafeBufferPointer(start: $0, count: 1), to: write) }
            }
            var end: Int32 = 0
            try put(end)
            for i in 0..<lists.count {
                end += Int32(lists.bounds.span(i).count)
                try put(end)
            }
        }
        return [tokens, offsets]
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && (0..<a.count).allSatisfy { i in a.withList(i) { x in b.withList(i) { x.elementsEqual($0) } } }
    }
}

/// A hash table of token lists kept elsewhere (by index), for finding a list's first equal:
/// 500,000 questions cost one array of integers, not 500,000 arrays as dictionary keys.
/// Open addressing with linear probing, at most half full; a list is hashed with FNV-1a over its
/// ids. Lists are any collections of ids: arrays, or lists where they are stored (`TokenArray`).
struct ListIndex {
    /// A list's index + 1, or 0 for an empty slot.
    private var slots: [Int32]

    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size *= 2 }
        slots = [Int32](repeating: 0, count: size)
    }

    static func hash<List: Collection<Int32>>(_ list: List) -> Int {
        Int(truncatingIfNeeded: list.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64(UInt32(bitPattern: $1))) &* 0x100_0000_01B3 })
    }

    /// The index of an inserted list equal to `list`, if there is one.
    func find<List: Collection<Int32>, Stored: Collection<Int32>>(_ list: List, listAt: (Int) -> Stored) -> Int? {
        probe(list, listAt: listAt).found
    }

    /// Inserts list `index` (`list`), unless an equal list is in already: then its index.
    /// At most `capacity` lists are inserted.
    mutating func insert<List: Collection<Int32>, Stored: Collection<Int32>>(_ index: Int, _ list: List, listAt: (Int) -> Stored) -> Int? {
        let (slot, found) = probe(list, listAt: listAt)
        if found == nil { slots[slot] = Int32(index + 1) }
        return found
    }

    /// The slot of a list equal to `list` (and its index), or else the empty slot it would take.
    private func probe<List: Collection<Int32>, Stored: Collection<Int32>>(_ list: List, listAt: (Int) -> Stored) -> (slot: Int, found: Int?) {
        var slot = Self.hash(list) & (slots.count - 1)
        while slots[slot] != 0 {
            let j = Int(slots[slot]) - 1
            if listAt(j).elementsEqual(list) { return (slot, j) }
            slot = (slot + 1) & (slots.count - 1)
        }
        return (slot, nil)
    }
}
