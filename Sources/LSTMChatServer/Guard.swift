import Foundation
import Hummingbird
import LSTMChat
import NIOCore

/// What every request goes through, outermost first: the time it takes, its line on standard
/// error and its count in the metrics; any error turned into a JSON error with its 4xx (503 when
/// the model is busy) status; the API key on the routes that want it.
struct Guard: RouterMiddleware {
    typealias Context = BasicRequestContext

    let metrics: ServeMetrics
    let apiKey: String?
    let quiet: Bool

    /// The routes anyone may read: the page, its API's description, and whether the server is up.
    static let open: Set = ["/", "/health", "/openapi.json"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            if let apiKey, !Self.open.contains(request.uri.path), request.headers[.authorization] != "Bearer \(apiKey)" {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a valid API key is required: Authorization: Bearer <key>")
            }
            response = try await next(request, context)
        } catch {
            response = Self.response(for: error, request: request)
        }
        let seconds = Double((ContinuousClock.now - start) / .microseconds(1)) / 1e6
        // The route's pattern, not the path asked for: unknown paths are one label, not one each.
        let route = context.endpointPath ?? "other"
        metrics.request(route: route, status: response.status.code, seconds: seconds)
        if !quiet {
            let path = Terminal.printable(String(request.uri.path.prefix(200)))
            FileHandle.standardError.write(Data("\(request.method) \(path) \(response.status.code) \(String(format: "%.1f", seconds * 1000)) ms\n".utf8))
        }
        return response
    }

    /// A JSON error as OpenAI writes them: {"error": {"message": …, "type": …, "code": status}}.
    static func response(for error: any Error, request: Request) -> Response {
        var headers: HTTPFields = [:]
        let status: HTTPResponse.Status, message: String
        switch error {
        case let error as BadRequest:
            (status, message) = (.badRequest, error.description)
        case let error as HTTPError:
            status = error.status
            headers = error.headers
            message = error.body ?? (status == .notFound ? "no route \(request.method) \(request.uri.path); see /openapi.json" : status.reasonPhrase)
        case is NIOTooManyBytesError:
            (status, message) = (.contentTooLarge, "the body is larger than the server takes")
        case is DynamicBatcher<ServedQuery, ServedReply>.Busy:
            (status, message) = (.serviceUnavailable, "too many requests are waiting; try again in a second")
            headers[.retryAfter] = "1"
        case is DynamicBatcher<ServedQuery, ServedReply>.Stopped:
            (status, message) = (.serviceUnavailable, "the server is stopping")
        default:
            (status, message) = (.internalServerError, "internal error: \(error)")
        }
        let kind = status.code == 401 ? "authentication_error" : status.code < 500 ? "invalid_request_error" : "server_error"
        return Routes.json(["error": ["message": message, "type": kind, "code": status.code]], status: status, headers: headers)
    }
}
