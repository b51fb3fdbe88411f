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
        for (index, var raw) in rawLines.enumerated() {
            if raw.last == 0x0D { raw = raw.dropLast() }
            if raw.contains(0) {
                throw DataError(file: path, line: index + 1, "contains a NUL byte; is this a text file?")
            }
            // `transcode` finds bad bytes on every platform (`String(validating:)` needs macOS 15).
            let invalid = transcode(raw.makeIterator(), from: UTF8.self, to: UTF32.self,
                                    stoppingOnError: true, into: { _ in })
            if invalid { throw DataError(file: path, line: index + 1, "not valid UTF-8") }
            lines.append(String(decoding: raw, as: UTF8.self))
        }
        return lines
    }
}
