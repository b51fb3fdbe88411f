import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a checkpoint directory, so two `train` runs never write the same files.
///
/// It is an advisory `flock` on `DIR/.lock`: the kernel releases it when the process ends, so a
/// crashed or killed run never leaves it stuck. The file holds the owner's pid for the message.
public final class DirectoryLock {
    private let fd: Int32

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(directory: URL) throws {
        let path = directory.appendingPathComponent(".lock").path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Failure(description: "\(path): cannot create lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, 31)
            close(fd)
            let owner = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            throw Failure(description: "\(directory.path) is in use by another lstmchat train"
                + (owner.isEmpty ? "" : " (pid \(owner))") + "; wait for it to finish or choose another --out")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
