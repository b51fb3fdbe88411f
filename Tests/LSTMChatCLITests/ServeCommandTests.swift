import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

@Suite struct ServeCommandTests {
    /// `lstmchat serve --port 0` says where it listens, answers, logs one line per request, and
    /// exits 0 on SIGTERM.
    @Test func itServesLogsAndExitsZeroOnSIGTERM() async throws {
        let process = Process()
        process.executableURL = LSTMChatBinary.url
        process.arguments = ["serve", "--port", "0"]
        process.currentDirectoryURL = BundledModelTests.root
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let reader = errors.fileHandleForReading
        func line() -> String {
            var bytes: [UInt8] = []
            while let byte = try? reader.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            return String(decoding: bytes, as: UTF8.self)
        }
        let first = line()
        #expect(first.hasPrefix("lstmchat: serving default (vocabulary"), "\(first)")
        let port = try #require(first.split(separator: ":").last.flatMap { Int($0) })
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/ask")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"question": "hello"}"#.utf8)
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as! HTTPURLResponse).statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains(#""reply":"#))
        let logged = line()
        #expect(logged.hasPrefix("POST /v1/ask 200 ") && logged.hasSuffix(" ms"), "\(logged)")
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test("serve refuses what it should not do, in one line", arguments: [
        (["serve", "--host", "0.0.0.0"], 64, "lstmchat: refusing to listen on 0.0.0.0 without an API key: give --api-key (or LSTMCHAT_API_KEY), or --insecure-no-auth\n"),
        (["serve", "--port", "70000"], 64, "--port: expected a port from 0 to 65535, got 70000"),
        (["serve", "--checkpoint", "/nonexistent/model.safetensors"], 1, "lstmchat: no checkpoint at /nonexistent/model.safetensors"),
    ])
    func refusals(arguments: [String], status: Int32, message: String) throws {
        let result = try LSTMChatBinary.run(arguments, environment: ["LSTMCHAT_API_KEY": ""], in: BundledModelTests.root)
        #expect(result.status == status)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func aPortInUseIsOneLineAndStatus1() throws {
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) } }
        listen(holder, 1)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let result = try LSTMChatBinary.run(["serve", "--port", "\(port)"], in: BundledModelTests.root)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("lstmchat: cannot serve on 127.0.0.1:\(port): ") && result.stderr.split(separator: "\n").count == 1,
                "\(result.stderr)")
    }
}
