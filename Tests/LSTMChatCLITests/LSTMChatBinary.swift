import Foundation
import Testing

/// Runs the built `lstmchat` executable, as a user would from a shell.
enum LSTMChatBinary {
    /// The executable beside the test bundle (the same build configuration), or `LSTMCHAT_BIN`.
    static let url: URL = {
        if let path = ProcessInfo.processInfo.environment["LSTMCHAT_BIN"] { return URL(fileURLWithPath: path) }
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("lstmchat")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        fatalError("lstmchat executable not found near \(Bundle.main.bundleURL.path); set LSTMCHAT_BIN")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `lstmchat args…` (or `executable args…`) with `stdin` as its standard input and waits
    /// for it to exit.
    static func run(_ args: [String], stdin: String = "", environment: [String: String] = [:], in directory: URL? = nil,
                    executable: URL = url) throws -> Result {
        try run(args, input: Array(stdin.utf8), environment: environment, in: directory, executable: executable)
    }

    /// The same with standard input given as bytes, which need not be UTF-8.
    static func run(_ args: [String], input: [UInt8], environment: [String: String] = [:], in directory: URL? = nil,
                    executable: URL = url) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = args
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        // Standard input is a file, not a pipe: nothing to block on, and no SIGPIPE for the test
        // runner when the program exits without reading it.
        guard let stdin = tmpfile() else { throw CocoaError(.fileWriteUnknown) }
        defer { fclose(stdin) }
        fwrite(input, 1, input.count, stdin)
        rewind(stdin)  // flushes, and the program starts reading at the first byte
        let output = Pipe(), error = Pipe()
        process.standardInput = FileHandle(fileDescriptor: fileno(stdin), closeOnDealloc: false)
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both outputs at once, so a chatty program never blocks on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let out = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { out.data = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let err = error.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out.data, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }
}

/// A scratch directory, removed with everything in it when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lstmchat-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

@Suite struct CommandLineTests {
    @Test func versionNamesTheBLASAndItsCore() throws {
        let result = try LSTMChatBinary.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("lstmchat "))
        #expect(result.stdout.contains("OpenBLAS"))
        #expect(result.stdout.contains("BLAS core "))
    }

    @Test func measuresTheCoreTypesOnceAndCachesTheResult() throws {
        let cache = try TemporaryDirectory()
        let measured = try LSTMChatBinary.run(["--version"], environment: [
            "LSTMCHAT_BLAS_MEASURE": "1", "XDG_CACHE_HOME": cache.url.path])
        #expect(measured.status == 0)
        #expect(measured.stdout.contains("LSTMCHAT_BLAS_MEASURE=1; measured: "), "\(measured.stdout)")
        #expect(measured.stdout.contains("GFLOP/s on one thread"))
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.url.appendingPathComponent("lstmchat").path)
        #expect(files.count == 1 && files[0].hasPrefix("blas-core-") && files[0].hasSuffix(".json"), "\(files)")
    }

    @Test func helpListsTheCommand() throws {
        let result = try LSTMChatBinary.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: lstmchat"))
    }
}
