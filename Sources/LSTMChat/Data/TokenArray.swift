/// Token ids where they are stored, two bytes each when every id of the vocabulary fits in 16
/// bits (at most 65,536 words) and four otherwise, read as `Int32` either way: the 11 million
/// tokens of a 500,000-pair corpus with 50,000 words take 22 MB instead of 44. The memory is
/// someone else's (`TokenizedPairs.Storage`, a mapped cache, `TokenLists`' own buffer); this
/// only reads it.
struct TokenArray: RandomAccessCollection, @unchecked Sendable {
    /// Bytes a token takes: 2 or 4.
    let width: Int
    let count: Int
    private let base: UnsafeRawPointer?

    /// The most tokens a vocabulary may have for its ids to be stored in two bytes.
    static let narrowVocabularyLimit = 1 << 16

    init(_ tokens: UnsafeBufferPointer<Int32>) { (width, count, base) = (4, tokens.count, UnsafeRawPointer(tokens.baseAddress)) }
    init(_ tokens: UnsafeBufferPointer<UInt16>) { (width, count, base) = (2, tokens.count, UnsafeRawPointer(tokens.baseAddress)) }

    /// `count` tokens of `width` bytes (2 or 4) from `base`, aligned to their width.
    init(base: UnsafeRawPointer, count: Int, width: Int) {
        precondition(width == 2 || width == 4, "tokens are 2 or 4 bytes")
        precondition(Int(bitPattern: base) % width == 0, "tokens are aligned")
        (self.width, self.count, self.base) = (width, count, base)
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(i: Int) -> Int32 {
        precondition(i >= 0 && i < count, "token \(i) of \(count)")
        return width == 2 ? Int32(base!.load(fromByteOffset: 2 * i, as: UInt16.self))
                          : base!.load(fromByteOffset: 4 * i, as: Int32.self)
    }

    /// The tokens' bytes as stored (for writing and hashing them whole).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: width * count) }

    /// Runs `body` over `range`'s tokens as `Int32`s: where they are when they are four bytes,
    /// else widened into a temporary buffer on the stack.
    func withInt32s<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "tokens \(range) of \(count)")
        if width == 4 {
            return try body(UnsafeBufferPointer(start: base?.assumingMemoryBound(to: Int32.self).advanced(by: range.lowerBound), count: range.count))
        }
        return try withUnsafeTemporaryAllocation(of: Int32.self, capacity: range.count) { wide in
            for (j, i) in range.enumerated() { wide[j] = self[i] }
            return try body(UnsafeBufferPointer(wide))
        }
    }

    /// Rewrites `count` four-byte ids at `tokens` as two-byte ids at the same address, front to
    /// back (id i's two bytes land at or before where its four were read), when all are below
    /// 65,536. The first `2 × count` bytes then hold the narrow ids.
    static func narrowInPlace(_ tokens: UnsafeMutableRawPointer, count: Int) {
        for i in 0..<count {
            let id = tokens.load(fromByteOffset: 4 * i, as: Int32.self)
            precondition(id >= 0 && Int(id) < narrowVocabularyLimit, "token id \(id) does not fit in 16 bits")
            tokens.storeBytes(of: UInt16(id), toByteOffset: 2 * i, as: UInt16.self)
        }
    }
}
