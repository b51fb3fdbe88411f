import ArgumentParser
import Foundation
import LSTMChat
import LSTMChatServer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over HTTP: an API (OpenAI's chat completions among it) and a chat page.",
        discussion: """
        Routes: POST /v1/ask (a question and ask's options, as JSON; answers what ask --json \
        prints), POST /v1/chat/completions (OpenAI's shape, stream: true for server-sent events), \
        POST /v1/completions (a language model), POST /v1/classify (a classifier), GET /v1/models, \
        /health, /metrics (Prometheus), /openapi.json, and / (the chat page). Requests that arrive \
        together are decoded in one batch; over capacity the server answers 503 with Retry-After.

        One line per request goes to standard error (method, path, status, milliseconds). \
        SIGTERM or Ctrl-C stops taking connections, lets requests in flight finish, and exits 0.

        Examples:
          lstmchat serve                                  # http://127.0.0.1:8080
          curl -s localhost:8080/v1/ask -d '{"question": "how are you"}'
          LSTMCHAT_API_KEY=secret lstmchat serve --host 0.0.0.0 --port 80
        """
    )

    @OptionGroup var model: CheckpointOption

    @OptionGroup var quantization: QuantizeOption

    @Option(help: ArgumentHelp("The address to listen on; another than loopback wants --api-key.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The port to listen on (0: one the system chooses, printed at start).", valueName: "n"))
    var port = 8080

    @Option(help: ArgumentHelp("""
        Require Authorization: Bearer KEY on every route but /, /health and /openapi.json. \
        (default: $LSTMCHAT_API_KEY, if set)
        """, valueName: "key"))
    var apiKey: String?

    @Flag(help: "Listen on a non-loopback address without an API key.")
    var insecureNoAuth = false

    @Option(help: ArgumentHelp("The most requests decoded in one batch.", valueName: "n"))
    var maxBatch = DynamicBatcher<ServedQuery, ServedReply>.Limits().maxBatch

    @Option(help: ArgumentHelp("The most requests waiting for the model; more are answered 503.", valueName: "n"))
    var maxQueue = DynamicBatcher<ServedQuery, ServedReply>.Limits().capacity

    @Flag(help: "No line per request on standard error.")
    var quiet = false

    @Option(help: "Threads for the model's products (default: one per CPU).")
    var threads: Int?

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port: expected a port from 0 to 65535, got \(port)") }
        if maxBatch < 1 { throw ValidationError("--max-batch: expected a whole number ≥ 1, got \(maxBatch)") }
        if maxQueue < 1 { throw ValidationError("--max-queue: expected a whole number ≥ 1, got \(maxQueue)") }
        if apiKey?.isEmpty == true { throw ValidationError("--api-key: empty") }
        if let threads, threads < 1 { throw ValidationError("--threads: expected a whole number ≥ 1, got \(threads)") }
    }

    func run() throws {
        ThreadPolicy.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var settings = ChatServer.Settings()
        settings.host = host
        settings.port = port
        settings.apiKey = apiKey ?? ProcessInfo.processInfo.environment["LSTMCHAT_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        settings.quiet = quiet
        if !settings.isLoopback && settings.apiKey == nil && !insecureNoAuth {
            throw UsageFailure("refusing to listen on \(host) without an API key: give --api-key (or LSTMCHAT_API_KEY), or --insecure-no-auth")
        }
        guard let served = try model.open(quantization) as? any ServedModel else { throw CommandFailure("\(model.file): this model cannot be served") }
        var limits = DynamicBatcher<ServedQuery, ServedReply>.Limits()
        limits.maxBatch = maxBatch
        limits.capacity = maxQueue
        let name = URL(fileURLWithPath: model.checkpoint).deletingPathExtension().lastPathComponent
        let service = ModelService(model: served, name: name == "model" ? model.checkpoint : name, limits: limits)
        let server = ChatServer(service: service, settings: settings)
        let summary = "\(service.name) (\(served.summary))"
        let failure = Failure()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { port in
                    Terminal.standardError("lstmchat: serving \(summary) on http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
                }
            } catch {
                failure.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw CommandFailure("cannot serve on \(host):\(port): \(error)") }
    }

    /// What the server's task failed with, read once it is done.
    private final class Failure: @unchecked Sendable { var error: (any Error)? }
}
