import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A run's tokenized pairs, kept beside its checkpoint (`pairs.cache`) so that a resumed run
/// maps them instead of reading and tokenizing its text again (500,000 pairs: a fraction of a
/// second against most of a minute).
///
///     8 bytes   "LCPAIRS2"
///     8 bytes   N, the header's length, unsigned little-endian
///     N bytes   JSON: the key (each data file's size and hash, the tokenizer, the vocabulary's
///               hash), the data's fingerprint, the pair and token counts, the bytes a token
///               takes and the hash of the arrays; padded with spaces to a multiple of 8
///     the rest  the offsets (2 × pairs + 1, UInt32) and then the tokens (UInt16 when the
///               vocabulary has at most 65,536 words, else Int32), little-endian
///
/// A cache is used only when its key is the run's (the data files are hashed whole on every
/// resume: sizes and times could miss an edit, a hash cannot) and its arrays are whole: the
/// right size, the same hash, offsets rising, every token inside the vocabulary. Anything else
/// (stale, cut short, damaged) reads as no cache, and the pairs are made again and written anew,
/// to a temporary file renamed over the old one. A cache of the first layout ("LCPAIRS1", tokens
/// always four bytes) is stale.
public enum PairsCache {
    public static let fileName = "pairs.cache"
    static let magic = Array("LCPAIRS2".utf8)
    /// The first layout's, whose tokens were always four bytes: stale, not damaged.
    static let firstMagic = Array("LCPAIRS1".utf8)

    /// What the cached pairs were made from: a cache whose key differs is stale.
    public struct Key: Codable, Equatable, Sendable {
        /// Each data file's size and content hash, in the order read.
        public var files: [String]
        public var tokenizer: String
        /// The hash of the vocabulary's tokens in id order.
        public var vocabulary: String

        public init(files: [String], tokenizer: Tokenizer, vocabulary: Vocabulary) throws {
            self.files = try files.map { path in
                let (size, hash) = try Self.hash(file: path)
                return "\(size):\(String(hash, radix: 16))"
            }
            self.tokenizer = "\(tokenizer.kind.rawValue) normalizesQuestions=\(tokenizer.normalizesQuestions) keepsText=\(tokenizer.keepsText)"
            var hash = FNV1a()
            for token in vocabulary.tokens { hash.add(token); hash.add("\n") }
            self.vocabulary = hash.hex
        }

        /// A file's size and `wordHash` of its bytes, read a megabyte at a time.
        static func hash(file path: String) throws -> (size: Int, hash: UInt64) {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw DataError(file: path, "cannot be read: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let chunk = 1 << 20
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 8)
            defer { buffer.deallocate() }
            var hash = wordHashSeed, size = 0
            while true {
                // Fill the whole buffer (but at the end): every piece hashed but the last is whole words.
                var filled = 0
                while filled < chunk {
                    let n = Glibc.read(fd, buffer.baseAddress! + filled, chunk - filled)
                    if n < 0 { if errno == EINTR { continue }; throw DataError(file: path, "cannot be read: \(String(cString: strerror(errno)))") }
                    if n == 0 { break }
                    filled += n
                }
                hash = wordHash(UnsafeRawBufferPointer(rebasing: buffer[..<filled]), from: hash)
                size += filled
                if filled < chunk { return (size, hash) }
            }
        }
    }

    struct Header: Codable, Equatable {
        var key: Key
        var fingerprint: String
        var pairs: Int
        var tokens: Int
        /// 2 or 4.
        var tokenBytes: Int
        var hash: String
    }

    /// The cached pairs and the data's fingerprint, or nil when the file is missing, stale,
    /// cut short or damaged (`problem` says which of the last two).
    public static func read(_ url: URL, key: Key, vocabularySize: Int,
                            problem: (String) -> Void = { _ in }) -> (pairs: TokenizedPairs, fingerprint: String)? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 16 else { close(fd); problem("too short"); return nil }
        let size = Int(info.st_size)
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        close(fd)
        guard let mapped, mapped != MAP_FAILED else { problem("cannot be mapped"); return nil }
        let base = UnsafeRawPointer(mapped)
        var keep = false
        defer { if !keep { munmap(mapped, size) } }

        let bytes = UnsafeRawBufferPointer(start: base, count: size)
        if bytes.prefix(8).elementsEqual(firstMagic) { return nil }
        guard bytes.prefix(8).elementsEqual(magic) else { problem("not a pairs cache"); return nil }
        let headerLength = Int(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        guard headerLength % 8 == 0, headerLength <= size - 16,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)])) else {
            problem("its header is damaged")
            return nil
        }
        guard header.key == key else { return nil }
        let arraysStart = 16 + headerLength, width = header.tokenBytes
        guard header.pairs >= 0, header.tokens >= 0, width == 2 || width == 4,
              size == arraysStart + 4 * (2 * header.pairs + 1) + width * header.tokens else {
            problem("its size is not what its header says")
            return nil
        }
        let offsets = UnsafeBufferPointer(start: (base + arraysStart).assumingMemoryBound(to: UInt32.self), count: 2 * header.pairs + 1)
        let tokens = TokenArray(base: base + arraysStart + 4 * offsets.count, count: header.tokens, width: width)
        guard hash(tokens: tokens, offsets: offsets) == header.hash else { problem("its contents are damaged"); return nil }
        // Checked although the hash matched: a pair must never index outside the tokens.
        var rising = offsets[0] == 0 && Int(offsets[offsets.count - 1]) == tokens.count
        for i in 1..<offsets.count where rising { rising = offsets[i - 1] <= offsets[i] }
        guard rising, tokens.allSatisfy({ $0 >= 0 && Int($0) < vocabularySize }) else { problem("its contents are damaged"); return nil }
        keep = true
        let storage = TokenizedPairs.Storage(tokens: tokens, offsets: offsets) { munmap(mapped, size) }
        return (TokenizedPairs(storage: storage), header.fingerprint)
    }

    /// Writes the pairs and what they were made from, atomically.
    public static func write(_ pairs: TokenizedPairs, fingerprint: String, key: Key, to url: URL) throws {
        try pairs.withArrays { tokens, offsets in
            let header = Header(key: key, fingerprint: fingerprint, pairs: pairs.count, tokens: tokens.count,
                                tokenBytes: tokens.width, hash: hash(tokens: tokens, offsets: offsets))
            var json = try JSONEncoder().encode(header)
            json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
            var head = Data(magic)
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { head.append(contentsOf: $0) }
            head.append(json)
            try AtomicFile.write(to: url) { write in
                try head.withUnsafeBytes(write)
                try write(UnsafeRawBufferPointer(offsets))
                try write(tokens.bytes)
            }
        }
    }

    static let wordHashSeed: UInt64 = 0xCBF2_9CE4_8422_2325

    /// The arrays' hash: of the offsets' bytes, and on from there over the tokens'.
    static func hash(tokens: TokenArray, offsets: UnsafeBufferPointer<UInt32>) -> String {
        String(wordHash(tokens.bytes, from: wordHash(UnsafeRawBufferPointer(offsets), from: wordHashSeed)), radix: 16)
    }

    /// FNV-1a taken over 8-byte little-endian words rather than bytes (a tail of 1–7 bytes is one
    /// word, zero-filled): eight times fewer multiplications, a few GB/s, so that a resume can
    /// hash its whole data file. Pieces hashed one after another (`from:` the last's result) give
    /// the hash of the whole when all but the last are a multiple of 8 bytes long.
    static func wordHash(_ bytes: UnsafeRawBufferPointer, from seed: UInt64) -> UInt64 {
        var hash = seed
        let words = bytes.count / 8
        for w in 0..<words {
            hash = (hash ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * w, as: UInt64.self))) &* 0x100_0000_01B3
        }
        if bytes.count > 8 * words {
            var tail: UInt64 = 0
            for (k, byte) in bytes[(8 * words)...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(k)) }
            hash = (hash ^ tail) &* 0x100_0000_01B3
        }
        return hash
    }
}
