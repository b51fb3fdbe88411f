import Foundation
import Hummingbird
import LSTMChat
import NIOCore

/// The server's routes (described for clients in `OpenAPIDocument`):
///
///     POST /v1/ask               a question and `ask`'s options → what `ask --json` prints (any model)
///     POST /v1/chat/completions  OpenAI's chat completions, streamed as server-sent events (seq2seq)
///     POST /v1/completions       OpenAI's text completions (language model)
///     POST /v1/classify          a text → its labels and their probabilities (classifier)
///     GET  /v1/models, /health, /metrics, /openapi.json, / (the chat page)
struct Routes: Sendable {
    let service: ModelService
    let settings: ChatServer.Settings

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: Guard(metrics: service.metrics, apiKey: settings.apiKey, quiet: settings.quiet))
        router.get("/") { _, _ in Self.text(ChatPage.html, type: "text/html; charset=utf-8") }
        router.get("/openapi.json") { _, _ in Self.text(OpenAPIDocument.json, type: "application/json") }
        router.get("/health") { _, _ in
            Self.json(["status": "ok", "model": service.name, "task": service.task.rawValue, "waiting": service.waiting,
                       "auth": settings.apiKey != nil])
        }
        router.get("/metrics") { _, _ in Self.text(service.metrics.text, type: "text/plain; version=0.0.4; charset=utf-8") }
        router.get("/v1/models") { _, _ in
            Self.json(["object": "list", "data": [["id": service.name, "object": "model", "created": 0, "owned_by": "lstmchat",
                                                   "task": service.task.rawValue, "summary": service.summary]]])
        }
        router.post("/v1/ask") { request, _ in
            let query = try AskRequest.decode(try await body(request)).query(for: service.kind)
            return Self.json(text: try await service.reply(query).json)
        }
        router.post("/v1/chat/completions") { request, _ in
            try want(.seq2seq, "/v1/chat/completions")
            let chat = try ChatCompletionRequest.decode(try await body(request))
            var query = try chat.query()
            guard chat.stream == true else { return Self.json(Completion(kind: .chat, model: service.name, reply: try await service.reply(query)).object) }
            // Streamed: the pieces the decoder sends as it goes, then the rest of the reply.
            let (pieces, continuation) = AsyncStream.makeStream(of: String.self)
            query.stream = true
            query.pieces = continuation
            let reply = Task { [query] in try await service.reply(query) }
            return try await Completion.stream(kind: .chat, model: service.name, pieces: pieces, reply: reply,
                                               usage: chat.streamOptions?.includeUsage == true)
        }
        router.post("/v1/completions") { request, _ in
            try want(.languageModel, "/v1/completions")
            let completion = try CompletionRequest.decode(try await body(request))
            let reply = try await service.reply(try completion.query())
            let text = Completion(kind: .text, model: service.name, reply: reply)
            return completion.stream == true ? text.stream(usage: false, sent: []) : Self.json(text.object)
        }
        router.post("/v1/classify") { request, _ in
            try want(.classifier, "/v1/classify")
            let query = try ClassifyRequest.decode(try await body(request)).query()
            return Self.json(text: try await service.reply(query).json)
        }
        return router
    }

    /// The route of the model's own task: "/v1/completions serves a language model; this one is a question-answering model".
    private func want(_ task: ModelTask, _ route: String) throws {
        guard service.task != task else { return }
        let own = switch service.task {
        case .seq2seq: "/v1/chat/completions"
        case .languageModel: "/v1/completions"
        case .classifier: "/v1/classify"
        }
        throw HTTPError(.notFound, message: "\(route) serves \(task.description); this server's model is \(service.task.description): use \(own) or /v1/ask")
    }

    /// The request's body: at most `maxBody` bytes (413 beyond, at once when Content-Length says so).
    private func body(_ request: Request) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > settings.maxBody {
            throw NIOTooManyBytesError(maxBytes: settings.maxBody)
        }
        do {
            return Data(try await request.body.collect(upTo: settings.maxBody).readableBytesView)
        } catch let error as NIOTooManyBytesError {
            throw error
        } catch {
            throw BadRequest("the body ended before its end (the client hung up?)")  // its status is for the log: no one reads it
        }
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var response = json(text: jsonLine(object))
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }

    static func json(text: String) -> Response { Self.text(text, type: "application/json") }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A reply in OpenAI's shape: a chat completion or a text completion, whole or as server-sent
/// events, one event per token (the pieces of `ServedChoice`).
struct Completion: Sendable {
    enum Kind { case chat, text }

    let kind: Kind
    let model: String
    let reply: ServedReply
    let id: String
    let created: Int

    init(kind: Kind, model: String, reply: ServedReply, id: String? = nil, created: Int? = nil) {
        self.kind = kind
        self.model = model
        self.reply = reply
        self.id = id ?? Self.newID(kind)
        self.created = created ?? Int(Date().timeIntervalSince1970)
    }

    static func newID(_ kind: Kind) -> String {
        (kind == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
    }

    var usage: [String: Any] {
        ["prompt_tokens": reply.promptTokens, "completion_tokens": reply.completionTokens,
         "total_tokens": reply.promptTokens + reply.completionTokens]
    }

    /// The confidence, fallback and "asked as" of a question-answering model's reply.
    var extra: [String: Any] {
        guard let confidence = reply.confidence else { return [:] }
        return ["confidence": Double(confidence), "fallback": reply.isFallback, "asked_as": reply.askedAs as Any]
    }

    /// The fields every object and chunk begins with.
    private static func head(_ object: String, id: String, created: Int, model: String) -> [String: Any] {
        ["id": id, "object": object, "created": created, "model": model]
    }

    var object: [String: Any] {
        var object = Self.head(kind == .chat ? "chat.completion" : "text_completion", id: id, created: created, model: model)
        if !extra.isEmpty { object["lstmchat"] = extra }
        object["choices"] = reply.choices.enumerated().map { index, choice -> [String: Any] in
            var entry: [String: Any] = ["index": index, "finish_reason": choice.finished ? "stop" : "length", "logprobs": NSNull()]
            if kind == .chat { entry["message"] = ["role": "assistant", "content": choice.text] } else { entry["text"] = choice.text }
            return entry
        }
        object["usage"] = usage
        return object
    }

    /// One chunk of a stream: a choice's delta (its role, a piece of its text, or nothing with
    /// the reason it finished); `extra` (lstmchat's own: the confidence) in the choice's last.
    static func chunk(kind: Kind, id: String, created: Int, model: String, index: Int, delta: [String: Any], finish: String?,
                      extra: [String: Any] = [:]) -> String {
        var chunk = head(kind == .chat ? "chat.completion.chunk" : "text_completion", id: id, created: created, model: model)
        if !extra.isEmpty { chunk["lstmchat"] = extra }
        var choice: [String: Any] = ["index": index, "finish_reason": finish as Any, "logprobs": NSNull()]
        if kind == .chat { choice["delta"] = delta } else { choice["text"] = delta["content"] ?? "" }
        chunk["choices"] = [choice]
        return jsonLine(chunk)
    }

    /// The chunks after those streamed already (`sent`: the role chunk and these pieces of the
    /// first choice): per choice a first one (the role), one per piece, a last one with the
    /// reason it finished; then the usage if asked for, then [DONE].
    func events(usage includeUsage: Bool, sent: [String]?) -> [String] {
        func chunk(_ index: Int, _ delta: [String: Any], _ finish: String?) -> String {
            Self.chunk(kind: kind, id: id, created: created, model: model, index: index, delta: delta, finish: finish,
                       extra: index == 0 && finish != nil ? extra : [:])
        }
        var events: [String] = []
        for (index, choice) in reply.choices.enumerated() {
            var pieces = choice.pieces[...]
            if index == 0, let sent {
                // The rest of the text: the pieces after those sent, or what the text adds to theirs.
                let written = sent.joined()
                pieces = choice.pieces.starts(with: sent) ? choice.pieces.dropFirst(sent.count)
                    : choice.text.hasPrefix(written) && choice.text.count > written.count ? [String(choice.text.dropFirst(written.count))] : []
            } else if kind == .chat {
                events.append(chunk(index, ["role": "assistant", "content": ""], nil))
            }
            for piece in pieces { events.append(chunk(index, ["content": piece], nil)) }
            events.append(chunk(index, [:], choice.finished ? "stop" : "length"))
        }
        if includeUsage {
            var last = Self.head(kind == .chat ? "chat.completion.chunk" : "text_completion", id: id, created: created, model: model)
            last["choices"] = []
            last["usage"] = usage
            events.append(jsonLine(last))
        }
        events.append("[DONE]")
        return events
    }

    /// The whole reply as server-sent events.
    func stream(usage: Bool, sent: [String]?) -> Response {
        let events = events(usage: usage, sent: sent)
        return Self.eventStream { write in for event in events { try await write(event) } }
    }

    /// A reply streamed as it is decoded: its answer's pieces as the decoder sends them
    /// (`ServedQuery.pieces`), then the rest of it. Until the first piece comes, nothing is sent:
    /// a request refused (503) or a reply that sends none (a fallback, an n-best list) is answered
    /// as a whole.
    static func stream(kind: Kind, model: String, pieces: AsyncStream<String>, reply: Task<ServedReply, any Error>,
                       usage: Bool) async throws -> Response {
        var iterator = pieces.makeAsyncIterator()
        guard let first = await iterator.next() else {
            return Completion(kind: kind, model: model, reply: try await reply.value).stream(usage: usage, sent: nil)
        }
        let id = newID(kind), created = Int(Date().timeIntervalSince1970)
        return eventStream { write in
            var sent = [first]
            try await write(chunk(kind: kind, id: id, created: created, model: model, index: 0, delta: ["role": "assistant", "content": ""], finish: nil))
            try await write(chunk(kind: kind, id: id, created: created, model: model, index: 0, delta: ["content": first], finish: nil))
            for await piece in pieces {  // the same stream, after its first piece
                sent.append(piece)
                try await write(chunk(kind: kind, id: id, created: created, model: model, index: 0, delta: ["content": piece], finish: nil))
            }
            let rest = Completion(kind: kind, model: model, reply: try await reply.value, id: id, created: created)
            for event in rest.events(usage: usage, sent: sent) { try await write(event) }
        }
    }

    /// A `text/event-stream` response whose events `body` writes, each as `data: EVENT`.
    private static func eventStream(_ body: @escaping @Sendable (_ write: (String) async throws -> Void) async throws -> Void) -> Response {
        let body = ResponseBody { writer in
            try await body { event in try await writer.write(ByteBuffer(string: "data: \(event)\n\n")) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}
