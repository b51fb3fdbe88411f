import Foundation
import LSTMChat
import Testing

/// Saving fails when the disk fills up: the run stops with one line naming the file and the
/// reason, the last good checkpoint stays byte for byte as it was, and once there is room again
/// the run resumes and finishes.
@Suite(.serialized) struct DiskFullTests {
    static let flags = TrainTests.quick + ["--val-fraction", "0.2"]
    static let files = ["model.safetensors", "best.safetensors", "training.safetensors"]

    /// Trains one epoch, runs `resumeWithoutRoom` (a resume to epoch 3 that cannot save), checks
    /// what it left, then calls `makeRoom` and resumes to the end.
    static func checkFailedSave(in run: URL, resumeWithoutRoom: ([String]) throws -> LSTMChatBinary.Result,
                                makeRoom: () throws -> Void, reason: String) throws {
        let first = try LSTMChatBinary.run(["train", TrainTests.small, "--out", run.path, "--epochs", "1"] + flags)
        try #require(first.status == 0, "\(first.stderr)")
        let saved = try files.map { try Data(contentsOf: run.appendingPathComponent($0)) }

        let full = try resumeWithoutRoom(["train", "--resume", run.path, "--epochs", "3", "--quiet"])
        #expect(full.status == 1)
        let message = full.stderr.trimmingCharacters(in: .newlines)
        #expect(!message.contains("\n") && message.hasPrefix("lstmchat: \(run.path)/"), "\(full.stderr)")
        #expect(message.contains(reason), "\(full.stderr)")
        #expect(try files.map { try Data(contentsOf: run.appendingPathComponent($0)) } == saved)
        let leftovers = CheckpointDirectory(run).unfinishedWrites
        #expect(leftovers.isEmpty, "\(leftovers)")

        try makeRoom()
        let resumed = try LSTMChatBinary.run(["train", "--resume", run.path, "--epochs", "3", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let model = try CheckpointFile.read(run.appendingPathComponent("model.safetensors"))
        #expect(model.training["epochs"] == "3")
    }

    /// A real full file system: a 4 MB tmpfs, filled up to its last 8 KB before the resume.
    /// Mounting needs root (as on the CI machine); elsewhere the test is skipped.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullDiskKeepsTheLastCheckpoint() throws {
        let dir = try TemporaryDirectory()
        let mountPoint = dir.url.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        try #require(try Self.shell("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.path) == 0)
        defer { _ = try? Self.shell("umount", mountPoint.path) }

        let filler = mountPoint.appendingPathComponent("filler")
        try Self.checkFailedSave(in: mountPoint.appendingPathComponent("run"), resumeWithoutRoom: { arguments in
            var stats = statvfs()
            statvfs(mountPoint.path, &stats)
            let free = Int(stats.f_bavail) * Int(stats.f_frsize)
            try Data(count: free - 8192).write(to: filler)
            return try LSTMChatBinary.run(arguments)
        }, makeRoom: {
            try FileManager.default.removeItem(at: filler)
        }, reason: "No space left on device")
    }

    /// The same with a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) below the training state's
    /// size: a write fails halfway on any machine, root or not.
    @Test func aFileSizeLimitKeepsTheLastCheckpoint() throws {
        let dir = try TemporaryDirectory()
        try Self.checkFailedSave(in: dir.url.appendingPathComponent("run"), resumeWithoutRoom: { arguments in
            try LSTMChatBinary.run(["-c", "trap '' XFSZ; exec prlimit --fsize=200000 -- \"$@\"", "sh",
                                    LSTMChatBinary.url.path] + arguments, executable: URL(fileURLWithPath: "/bin/sh"))
        }, makeRoom: {}, reason: "File too large")
    }

    @Test(arguments: [("a-file/run", "Not a directory"), ("a-file", "File exists")])
    func anOutputPathThroughAFileIsOneLine(out: String, reason: String) throws {
        let dir = try TemporaryDirectory()
        try Data("not a directory\n".utf8).write(to: dir.url.appendingPathComponent("a-file"))
        let out = dir.url.appendingPathComponent(out).path
        let result = try LSTMChatBinary.run(["train", TrainTests.small, "--out", out, "--epochs", "1"] + Self.flags)
        #expect(result.status == 1)
        let message = result.stderr.trimmingCharacters(in: .newlines)
        #expect(!message.contains("\n") && message.hasPrefix("lstmchat: \(out): "), "\(result.stderr)")
        #expect(message.hasSuffix(reason), "\(result.stderr)")
        #expect(try String(contentsOf: dir.url.appendingPathComponent("a-file"), encoding: .utf8) == "not a directory\n")
    }

    static func shell(_ arguments: String...) throws -> Int32 {
        try LSTMChatBinary.run(arguments, executable: URL(fileURLWithPath: "/usr/bin/env")).status
    }
}
