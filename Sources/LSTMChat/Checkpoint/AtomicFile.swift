import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that readers see either the old contents or the new, never a mix:
/// the bytes go to a temporary file in the same directory, are flushed to disk, and the
/// temporary file is renamed over the target (then the directory entry is flushed too).
/// A crash, a full disk or a kill at any moment leaves the previous file as it was.
public enum AtomicFile {
    /// Where process `pid` writes `url`'s new bytes until they are whole: a hidden file beside it.
    public static func temporaryURL(for url: URL, process pid: Int32 = getpid()) -> URL {
        url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".tmp-\(pid)")
    }

    /// Whether a file name is one of those temporary files.
    public static func isTemporary(_ name: String) -> Bool { name.hasPrefix(".") && name.contains(".tmp-") }

    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { write in try data.withUnsafeBytes(write) }
    }

    /// Writes the file from the pieces `body` hands to `write`, one after another: large arrays
    /// go out from where they are, never copied into one `Data` first.
    public static func write(to url: URL, _ body: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = temporaryURL(for: url).path
        func failure(_ what: String) -> CheckpointError {
            CheckpointError(path, "cannot write (\(what)): \(String(cString: strerror(errno)))")
        }

        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create") }
        var ok = false
        defer { if !ok { unlink(temporary) } }
        func writeAll(_ raw: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; throw failure("write") }
                offset += n
            }
        }
        // Small pieces (a known question's few tokens) are gathered into a buffer: one system
        // call per megabyte, not per piece; large ones (a weight matrix) go out from where they are.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { buffer.deallocate() }
        var buffered = 0
        func flush() throws {
            try writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<buffered]))
            buffered = 0
        }
        do {
            try body { raw in
                let large = raw.count >= buffer.count / 4
                if large || buffered + raw.count > buffer.count { try flush() }
                if large { return try writeAll(raw) }
                UnsafeMutableRawBufferPointer(rebasing: buffer[buffered...]).copyMemory(from: raw)
                buffered += raw.count
            }
            try flush()
        } catch {
            close(fd)
            throw error
        }
        guard fsync(fd) == 0 else { let e = failure("flush"); close(fd); throw e }
        guard close(fd) == 0 else { throw failure("close") }
        guard rename(temporary, path) == 0 else { throw failure("rename") }
        ok = true
        // Make the rename itself durable.
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }
}
