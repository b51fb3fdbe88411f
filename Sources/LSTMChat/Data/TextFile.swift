import Foundation

/// The lines of a UTF-8 text file, read whole and checked, so that the format readers only see
/// clean text: a byte-order mark is dropped, CRLF line ends become LF, and bad bytes are reported
/// with the line they are on.
struct TextFile {
    /// The largest file read: a documented limit that keeps a mistaken path (a disk image, a log)
    /// from filling memory. Chat corpora are far smaller.
    static let maximumBytes = 256 * 1024 * 1024

    let path: String
    /// Without line ends; a final line end does not start another line.
    let lines: [String]

    var text: String { lines.joined(separator: "\n") }

    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw DataError(file: path, "is a directory, not a file") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > Self.maximumBytes {
            throw DataError(file: path, "is \(size / (1024 * 1024)) MB; files over 256 MB are not read")
        }
        // Through a file handle, not Data(contentsOf:), which refuses pipes (`train <(...)`) and
        // leaks 4 KB on every empty file (found by `make fuzz`). A pipe's size is not known
        // beforehand: one byte past the limit tells it is too long.
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: Self.maximumBytes + 1) ?? Data()
        } catch {
            throw DataError(file: path, "cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= Self.maximumBytes else {
            throw DataError(file: path, "is over 256 MB; files over 256 MB are not read")
        }
        lines = try Self.lines(of: [UInt8](data), path: path)
    }

    static func lines(of bytes: [UInt8], path: String) throws -> [String] {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard !bytes.isEmpty else { throw DataError(file: path, "empty file") }
        var rawLines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if rawLines.last?.isEmpty == true { rawLines.removeLast() }
        var lines: [String] = []
        lines.reserveCapacity(rawLines.count)
        for (index, raw) in rawLines.enumerated() {
            lines.append(try line(raw, number: index + 1, path: path))
        }
        return lines
    }

    /// One line's bytes (without its LF) as text: its CR dropped, NUL bytes and bad UTF-8 refused.
    static func line<Bytes: BidirectionalCollection>(_ raw: Bytes, number: Int, path: String) throws -> String
        where Bytes.Element == UInt8, Bytes.SubSequence: BidirectionalCollection {
        let raw = raw.last == 0x0D ? raw.dropLast() : raw[...]
        if raw.contains(0) {
            throw DataError(file: path, line: number, "contains a NUL byte; is this a text file?")
        }
        // `transcode` finds bad bytes on every platform (`String(validating:)` needs macOS 15).
        let invalid = transcode(raw.makeIterator(), from: UTF8.self, to: UTF32.self,
                                stoppingOnError: true, into: { _ in })
        if invalid { throw DataError(file: path, line: number, "not valid UTF-8") }
        return String(decoding: raw, as: UTF8.self)
    }

    /// Reads the file's lines one at a time, as `lines` gives them, holding only the line being
    /// read: for files too large to hold whole (a TSV corpus of millions of pairs). There is no
    /// limit on the file's size, but a line is at most `maximumLineBytes` (a disk image or a log
    /// given by mistake is refused on its first long line or NUL byte, not read to its end).
    static func forEachLine(path: String, _ body: (_ line: String, _ number: Int) throws -> Void) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw DataError(file: path, "is a directory, not a file") }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) } catch {
            throw DataError(file: path, "cannot be read: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var pending: [UInt8] = []  // the line read so far
        var number = 1, isStart = true, readAny = false
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DataError(file: path, "cannot be read: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            var bytes = chunk[...]
            if isStart {
                isStart = false
                if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            }
            readAny = readAny || !bytes.isEmpty
            while let end = bytes.firstIndex(of: 0x0A) {
                if pending.isEmpty {
                    try body(line(bytes[..<end], number: number, path: path), number)
                } else {
                    pending += bytes[..<end]
                    try body(line(pending, number: number, path: path), number)
                    pending.removeAll(keepingCapacity: true)
                }
                number += 1
                bytes = bytes[(end + 1)...]
            }
            if bytes.contains(0) { throw DataError(file: path, line: number, "contains a NUL byte; is this a text file?") }
            pending += bytes
            if pending.count > maximumLineBytes {
                throw DataError(file: path, line: number, "is over \(maximumLineBytes >> 20) MB long; is this a text file?")
            }
        }
        guard readAny else { throw DataError(file: path, "empty file") }
        if !pending.isEmpty { try body(line(pending, number: number, path: path), number) }
    }

    /// The longest line `forEachLine` reads.
    static let maximumLineBytes = 16 << 20
}
