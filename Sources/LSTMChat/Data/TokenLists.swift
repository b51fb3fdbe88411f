/// Lists of token ids stored flat: a model's known questions. List i is
///
///     tokens[spans[2i] ..< spans[2i+1]]
///
/// so that 500,000 questions are one token buffer and one array of bounds, not 500,000 small
/// arrays. The token buffer is the lists' own, or the `TokenizedPairs` they were taken from
/// (a training run's questions are not copied to be saved). In a checkpoint they are two I32
/// tensors: the tokens one list after another, and the offsets where each list begins.
public struct TokenLists: RandomAccessCollection, Equatable, @unchecked Sendable {
    /// Keeps `tokens` valid.
    private let owner: AnyObject
    private let tokens: UnsafeBufferPointer<Int32>
    private let spans: [UInt32]

    /// A buffer of tokens of its own.
    private final class OwnedTokens {
        let buffer: UnsafeMutableBufferPointer<Int32>
        init(count: Int) { buffer = .allocate(capacity: Swift.max(count, 1)) }
        deinit { buffer.deallocate() }
    }

    private init(owner: AnyObject, tokens: UnsafeBufferPointer<Int32>, spans: [UInt32]) {
        (self.owner, self.tokens, self.spans) = (owner, tokens, spans)
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
        self.init(owner: owned, tokens: UnsafeBufferPointer(buffer), spans: spans)
    }

    /// Lists that are ranges of `pairs`' tokens (`range(i)` of list i), sharing its storage.
    init(sharing pairs: TokenizedPairs, count: Int, range: (Int) -> Range<Int>) {
        var spans = [UInt32](); spans.reserveCapacity(2 * count)
        for i in 0..<count { let r = range(i); spans += [UInt32(r.lowerBound), UInt32(r.upperBound)] }
        let tokens = pairs.withArrays { tokens, _ in tokens }
        self.init(owner: pairs.storage, tokens: tokens, spans: spans)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { spans.count / 2 }
    /// Tokens in all the lists.
    public var tokenCount: Int { (0..<count).reduce(0) { $0 + Int(spans[2 * $1 + 1] - spans[2 * $1]) } }

    public subscript(i: Int) -> [Int32] { withList(i) { Array($0) } }

    /// Runs `body` over list `i` where it is.
    public func withList<R>(_ i: Int, _ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(list(i)) }
    }

    /// List `i` where it is, valid while `owner` lives.
    private func list(_ i: Int) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(rebasing: tokens[Int(spans[2 * i])..<Int(spans[2 * i + 1])])
    }

    /// The lists without repeats (the first of each kept, in order) and without empty ones.
    public func distinct() -> TokenLists { distinctAndIndexed().lists }

    /// `distinct()`, and a hash table of its lists for `find`.
    func distinctAndIndexed() -> (lists: TokenLists, index: ListIndex) {
        withExtendedLifetime(owner) {
            var index = ListIndex(capacity: count), kept: [UInt32] = []
            for i in 0..<count where spans[2 * i] < spans[2 * i + 1] {
                let keptList = { (j: Int) in UnsafeBufferPointer(rebasing: tokens[Int(kept[2 * j])..<Int(kept[2 * j + 1])]) }
                if index.insert(kept.count / 2, list(i), listAt: keptList) == nil { kept += [spans[2 * i], spans[2 * i + 1]] }
            }
            return (TokenLists(owner: owner, tokens: tokens, spans: kept), index)
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
                end += Int32(lists.spans[2 * i + 1] - lists.spans[2 * i])
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
/// Open addressing with linear probing, at most half full; a list is hashed with FNV-1a over its ids.
struct ListIndex {
    /// A list's index + 1, or 0 for an empty slot.
    private var slots: [Int32]

    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size *= 2 }
        slots = [Int32](repeating: 0, count: size)
    }

    static func hash(_ list: UnsafeBufferPointer<Int32>) -> Int {
        Int(truncatingIfNeeded: list.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64(UInt32(bitPattern: $1))) &* 0x100_0000_01B3 })
    }

    /// The index of an inserted list equal to `list`, if there is one.
    func find(_ list: UnsafeBufferPointer<Int32>, listAt: (Int) -> UnsafeBufferPointer<Int32>) -> Int? {
        probe(list, listAt: listAt).found
    }

    /// Inserts list `index` (`list`), unless an equal list is in already: then its index.
    /// At most `capacity` lists are inserted.
    mutating func insert(_ index: Int, _ list: UnsafeBufferPointer<Int32>, listAt: (Int) -> UnsafeBufferPointer<Int32>) -> Int? {
        let (slot, found) = probe(list, listAt: listAt)
        if found == nil { slots[slot] = Int32(index + 1) }
        return found
    }

    /// The slot of a list equal to `list` (and its index), or else the empty slot it would take.
    private func probe(_ list: UnsafeBufferPointer<Int32>, listAt: (Int) -> UnsafeBufferPointer<Int32>) -> (slot: Int, found: Int?) {
        var slot = Self.hash(list) & (slots.count - 1)
        while slots[slot] != 0 {
            let j = Int(slots[slot]) - 1
            if listAt(j).elementsEqual(list) { return (slot, j) }
            slot = (slot + 1) & (slots.count - 1)
        }
        return (slot, nil)
    }
}
