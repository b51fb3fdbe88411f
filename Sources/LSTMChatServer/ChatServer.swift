import Foundation
import Hummingbird
import LSTMChat
import Logging
import NIOCore
import ServiceLifecycle

/// `lstmchat serve`: a model behind HTTP (Hummingbird 2), for many clients at once: the routes
/// of `Routes`, the checks of `Guard`, the model's `ModelService` (its dynamic batcher).
public struct ChatServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Every API route wants `Authorization: Bearer <key>` when set.
        public var apiKey: String?
        /// No line per request on standard error.
        public var quiet = false
        /// The largest request body, in bytes (larger: 413).
        public var maxBody = 1 << 20
        /// A connection that sends nothing for this long (headers or body unfinished, or idle
        /// between requests) is closed.
        public var idleTimeout = TimeAmount.seconds(10)
        /// How long SIGTERM waits for requests in flight before the server stops anyway.
        public var shutdownGrace = Duration.seconds(10)

        public init() {}

        /// True for an address only this machine can reach.
        public var isLoopback: Bool {
            ["localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.")
        }
    }

    public let service: ModelService
    public let settings: Settings

    public init(service: ModelService, settings: Settings) {
        self.service = service
        self.settings = settings
    }

    /// Serves until SIGTERM or SIGINT (or the task is cancelled), then stops taking connections,
    /// lets the requests in flight finish (up to `shutdownGrace`) and returns. `onRunning` is
    /// told the port it listens on (the one the system chose for port 0).
    public func run(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        defer { service.stop() }
        var logger = Logger(label: "lstmchat")
        logger.logLevel = .critical  // failures are thrown; cancellation at shutdown logs nothing
        let app = Application(
            router: Routes(service: service, settings: settings).router(),
            server: .http1(configuration: .init(idleTimeout: settings.idleTimeout)),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "lstmchat"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = settings.shutdownGrace
        try await ServiceGroup(configuration: configuration).run()
    }
}
