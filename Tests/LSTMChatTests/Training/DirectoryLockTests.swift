import Foundation
import Testing
@testable import LSTMChat

@Suite struct DirectoryLockTests {
    @Test func aSecondRunIsRefusedUntilTheFirstEnds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var first: DirectoryLock? = try DirectoryLock(directory: dir)
        #expect(first != nil)
        let error = #expect(throws: DirectoryLock.Failure.self) { try DirectoryLock(directory: dir) }
        #expect(error?.description.contains("in use by another lstmchat train (pid \(getpid()))") == true)
        first = nil  // the run ends (or crashes): the kernel drops the lock
        _ = try DirectoryLock(directory: dir)
    }
}
