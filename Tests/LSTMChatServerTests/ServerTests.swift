import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LSTMChat
@testable import LSTMChatServer
import Testing

/// A server on a port the system chose, for one test.
final class RunningServer: @unchecked Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let chat: ChatModel = try! LoadedModels.open(root.appendingPathComponent("checkpoints/default").path, as: ChatModel.self)
    static let text: TextModel = try! LoadedModels.open(root.appendingPathComponent("checkpoints/kjv-lm").path, as: TextModel.self)

    let port: Int
    let task: Task<Void, any Error>
    let service: ModelService

    init(model: any ServedModel = RunningServer.chat, settings change: (inout ChatServer.Settings) -> Void = { _ in },
         limits: DynamicBatcher<ServedQuery, ServedReply>.Limits = .init()) async throws {
        var settings = ChatServer.Settings()
        settings.port = 0
        settings.quiet = true
        change(&settings)
        service = ModelService(model: model, name: "test", limits: limits)
        let server = ChatServer(service: service, settings: settings)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        task = Task { try await server.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        port = await iterator.next()!
    }

    deinit { task.cancel() }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        try await request(method, path, data: body.map { Data($0.utf8) }, headers: headers)
    }

    func request(_ method: String, _ path: String, data: Data?, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = data
        if data != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (body, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        let fields = Dictionary(http.allHeaderFields.map { ("\($0.key)".lowercased(), "\($0.value)") }) { $1 }
        return Reply(status: http.statusCode, headers: fields, body: body)
    }

    func post(_ path: String, _ body: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request("POST", path, body: body, headers: headers)
    }
}

@Suite(.serialized) struct ServerTests {
    @Test func askAnswersWhatAskJSONPrints() async throws {
        let server = try await RunningServer()
        var options = UseOptions()
        options.decoding.seed = 3
        for question in ["how are you", "what is your name", "xyzzy"] {
            let reply = try await server.post("/v1/ask", #"{"question": "\#(question)", "seed": 3}"#)
            #expect(reply.status == 200 && reply.headers["content-type"] == "application/json")
            #expect(reply.text == RunningServer.chat.ask(question, options).json)
        }
    }

    /// 32 clients at once get, each, the reply of its own question asked alone; the metrics
    /// show they were decoded in batches of more than one.
    @Test func manyClientsAtOnceEachGetTheirOwnAnswer() async throws {
        let server = try await RunningServer()
        let questions = (0..<32).map { ["hello", "how are you", "tell me a joke", "what is ai", "do you like music", "who are you"][$0 % 6] + ($0 >= 6 ? " \($0 % 3 == 0 ? "please" : "")" : "") }
        let replies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, question) in questions.enumerated() {
                group.addTask { (i, try await server.post("/v1/ask", #"{"question": "\#(question)", "seed": 1}"#).text) }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        var options = UseOptions()
        options.decoding.seed = 1
        for (i, question) in questions.enumerated() {
            let alone = RunningServer.chat.ask(question, options).json
            #expect(sameReply(replies[i]!, alone), "\(replies[i]!)\n\(alone)")
        }
        let metrics = try await server.request("GET", "/metrics").text
        let batches = metrics.split(separator: "\n").first { $0.hasPrefix("lstmchat_batch_size_count") }!
        let count = Int(batches.split(separator: " ").last!)!
        #expect(count < 32, "32 requests in \(count) batches")
    }

    @Test func chatCompletionsSpeakOpenAIsShape() async throws {
        let server = try await RunningServer()
        let reply = try await server.post("/v1/chat/completions", #"{"model": "test", "messages": [{"role": "user", "content": "how are you"}]}"#)
        #expect(reply.status == 200)
        let json = reply.json
        #expect(json["object"] as? String == "chat.completion" && json["model"] as? String == "test")
        let choice = (json["choices"] as! [[String: Any]])[0]
        let message = choice["message"] as! [String: Any]
        #expect(message["role"] as? String == "assistant")
        #expect(message["content"] as? String == RunningServer.chat.replies([ServedQuery(text: "how are you", options: UseOptions())])[0].choices[0].text)
        #expect(choice["finish_reason"] as? String == "stop")
        let usage = json["usage"] as! [String: Int]
        #expect(usage["total_tokens"] == usage["prompt_tokens"]! + usage["completion_tokens"]! && usage["completion_tokens"]! > 0)
        #expect((json["lstmchat"] as! [String: Any])["confidence"] is Double)
        // n answers: beam search's n best.
        let three = try await server.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "tell me a joke"}], "n": 3}"#)
        #expect((three.json["choices"] as! [[String: Any]]).count == 3)
    }

    /// stream: true: server-sent events, one per token, whose text is the whole answer.
    @Test func aStreamedChatCompletionSendsOneEventPerToken() async throws {
        let server = try await RunningServer()
        let body = #"{"messages": [{"role": "user", "content": "what is your favorite book"}], "stream": true, "stream_options": {"include_usage": true}}"#
        let reply = try await server.post("/v1/chat/completions", body)
        #expect(reply.status == 200 && reply.headers["content-type"] == "text/event-stream")
        let events = reply.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.allSatisfy { $0.hasPrefix("data: ") } && events.last == "data: [DONE]")
        let chunks = events.dropLast().map { try! JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as! [String: Any] }
        let deltas = chunks.compactMap { (($0["choices"] as! [[String: Any]]).first?["delta"] as? [String: Any])?["content"] as? String }
        let whole = RunningServer.chat.replies([ServedQuery(text: "what is your favorite book", options: UseOptions(), stream: true)])[0]
        #expect(deltas.joined() == whole.choices[0].text)
        #expect(deltas.count == whole.choices[0].pieces.count + 1, "the role's empty delta, then one per token")
        #expect(whole.choices[0].pieces.count > 2)
        #expect((chunks.last!["usage"] as? [String: Int])?["completion_tokens"] == whole.completionTokens)
    }

    @Test func theOtherRoutes() async throws {
        let server = try await RunningServer()
        let models = try await server.request("GET", "/v1/models").json
        let model = (models["data"] as! [[String: Any]])[0]
        #expect(model["id"] as? String == "test" && model["task"] as? String == "seq2seq")
        #expect(try await server.request("GET", "/health").json["status"] as? String == "ok")
        let page = try await server.request("GET", "/")
        #expect(page.headers["content-type"]!.hasPrefix("text/html") && page.text.contains("/v1/chat/completions"))
        #expect(!page.text.contains("http://") && !page.text.contains("https://"), "nothing loaded from elsewhere")
        let openapi = try await server.request("GET", "/openapi.json").json
        let paths = openapi["paths"] as! [String: Any]
        #expect(Set(paths.keys) == ["/v1/ask", "/v1/chat/completions", "/v1/completions", "/v1/classify", "/v1/models", "/health",
                                    "/metrics", "/openapi.json", "/"])
        let metrics = try await server.request("GET", "/metrics")
        #expect(metrics.headers["content-type"]!.hasPrefix("text/plain") && metrics.text.contains("lstmchat_requests_total{route=\"/v1/models\",status=\"200\"} 1"))
        // The routes of the other tasks say which route this model has.
        let wrong = try await server.post("/v1/completions", #"{"prompt": "hi"}"#)
        #expect(wrong.status == 404 && wrong.error.contains("/v1/chat/completions"))
    }

    /// A request the server must refuse, named in the test log by its method, path, body (its size
    /// when long) and the status it must get.
    struct BadRequest: CustomTestStringConvertible, Sendable {
        let method: String, path: String, body: String?, status: Int
        init(_ method: String, _ path: String, _ body: String?, _ status: Int) {
            (self.method, self.path, self.body, self.status) = (method, path, body, status)
        }
        var testDescription: String {
            let shown = body.map { $0.count > 100 ? "(a body of \($0.utf8.count) bytes)" : $0 } ?? "(no body)"
            return "\(method) \(path) \(shown) → \(status)"
        }
    }

    /// Every bad request gets a JSON error with a 4xx status, and the server answers on.
    @Test("bad requests get a JSON error with a 4xx status", arguments: [
        BadRequest("POST", "/v1/ask", "{not json", 400),
        BadRequest("POST", "/v1/ask", #"{"question": ["hi"]}"#, 400),
        BadRequest("POST", "/v1/ask", #"{"question": "hi", "extra": true}"#, 400),
        BadRequest("POST", "/v1/ask", #"{"question": ""}"#, 400),
        BadRequest("POST", "/v1/ask", #"{"question": "\#(String(repeating: "word ", count: 20_000))"}"#, 400),
        BadRequest("POST", "/v1/ask", #"{"question": "hi", "max_length": 100000}"#, 400),
        BadRequest("POST", "/v1/chat/completions", #"{"messages": [{"role": "user", "content": ""}]}"#, 400),
        BadRequest("POST", "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}"#, 400),
        BadRequest("GET", "/v1/ask", nil, 404),
        BadRequest("GET", "/nowhere", nil, 404),
        BadRequest("POST", "/v1/classify", #"{"text": "hi"}"#, 404),
    ])
    func badRequestsGetJSONErrors(_ bad: BadRequest) async throws {
        let server = try await RunningServer()
        let reply = try await server.request(bad.method, bad.path, body: bad.body)
        #expect(reply.status == bad.status)
        #expect(reply.headers["content-type"] == "application/json" && !reply.error.isEmpty, "\(reply.text)")
        #expect(try await server.post("/v1/ask", #"{"question": "hello"}"#).status == 200)
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        let server = try await RunningServer()
        let big = Data(#"{"question": ""#.utf8) + Data(repeating: UInt8(ascii: "a"), count: 1 << 20) + Data(#""}"#.utf8)
        let reply = try await server.request("POST", "/v1/ask", data: big)
        #expect(reply.status == 413 && reply.error.contains("larger"))
        #expect(try await server.post("/v1/ask", #"{"question": "hello"}"#).status == 200)
    }

    @Test func anAPIKeyIsWantedOnTheAPIRoutes() async throws {
        let server = try await RunningServer(settings: { $0.apiKey = "sesame" })
        let ask = #"{"question": "hello"}"#
        let without = try await server.post("/v1/ask", ask)
        #expect(without.status == 401 && without.headers["www-authenticate"] == "Bearer")
        #expect(try await server.post("/v1/ask", ask, headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await server.post("/v1/ask", ask, headers: ["Authorization": "Bearer sesame"]).status == 200)
        #expect(try await server.request("GET", "/metrics").status == 401)
        // The page, its API's description and the health check are open (the page asks for the key).
        for path in ["/", "/health", "/openapi.json"] { #expect(try await server.request("GET", path).status == 200) }
        #expect(try await server.request("GET", "/health").json["auth"] as? Bool == true)
    }

    /// Over capacity: 503 with Retry-After, not an unbounded queue.
    @Test func overCapacityTheServerAnswers503WithRetryAfter() async throws {
        var limits = DynamicBatcher<ServedQuery, ServedReply>.Limits()
        limits.capacity = 1
        limits.maxBatch = 1
        let server = try await RunningServer(limits: limits)
        let body = #"{"question": "tell me a story", "beam": 64, "max_length": 400, "max_repeats": 0}"#
        let statuses = try await withThrowingTaskGroup(of: RunningServer.Reply.self) { group in
            for _ in 0..<12 { group.addTask { try await server.post("/v1/ask", body) } }
            return try await group.reduce(into: [RunningServer.Reply]()) { $0.append($1) }
        }
        let busy = statuses.filter { $0.status == 503 }
        #expect(!busy.isEmpty && statuses.allSatisfy { $0.status == 200 || $0.status == 503 }, "\(statuses.map(\.status))")
        #expect(busy.allSatisfy { $0.headers["retry-after"] == "1" && $0.error.contains("try again") })
    }

    @Test func aLanguageModelContinuesText() async throws {
        let server = try await RunningServer(model: RunningServer.text)
        let reply = try await server.post("/v1/completions", #"{"prompt": "In the beginning", "max_tokens": 30, "seed": 4}"#)
        #expect(reply.status == 200 && reply.json["object"] as? String == "text_completion")
        let text = (reply.json["choices"] as! [[String: Any]])[0]["text"] as! String
        var options = UseOptions()
        options.decoding.seed = 4
        options.decoding.maxLength = 30
        #expect(text == RunningServer.text.replies([ServedQuery(text: "In the beginning", options: options)])[0].choices[0].text)
        #expect(!text.isEmpty)
        let chat = try await server.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "hi"}]}"#)
        #expect(chat.status == 404 && chat.error.contains("/v1/completions"))
    }

    @Test func aClassifierLabelsText() async throws {
        let vocabulary = try Vocabulary(tokens: Vocabulary.specialTokens + ["hello", "bye", "there"])
        let config = ModelConfig(vocabSize: vocabulary.count, embedSize: 4, hiddenSize: 8, layers: 1)
        let network = ClassifierModel(config: config, classes: 3)
        let model = LabelModel(network: network, vocabulary: vocabulary, tokenizer: Tokenizer(kind: .word), labels: ["a", "b", "c"], path: "tiny")
        let server = try await RunningServer(model: model)
        let reply = try await server.post("/v1/classify", #"{"text": "hello there", "top": 2}"#)
        #expect(reply.status == 200)
        let labels = reply.json["labels"] as! [[String: Any]]
        #expect(labels.count == 2 && reply.text == model.ask("hello there", { var o = UseOptions(); o.top = 2; return o }()).json)
    }

    /// A client that sends half a request and stalls is cut off after the idle timeout.
    @Test func aStalledClientIsDisconnected() async throws {
        let server = try await RunningServer(settings: { $0.idleTimeout = .milliseconds(300) })
        let socket = try RawClient(port: server.port)
        socket.send("POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"question\"")
        let start = ContinuousClock.now
        #expect(socket.readUntilClosed(timeout: 5), "the server closed the connection")
        #expect(ContinuousClock.now - start < .seconds(4))
        #expect(try await server.post("/v1/ask", #"{"question": "hello"}"#).status == 200)
    }

    /// Connections opened and dropped at once, or mid-request, leave the server answering.
    @Test func droppedConnectionsLeaveTheServerAnswering() async throws {
        let server = try await RunningServer()
        for i in 0..<300 {
            let socket = try RawClient(port: server.port)
            if i % 3 == 1 { socket.send("POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n{\"quest") }
            if i % 3 == 2 {
                socket.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 72\r\n\r\n{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}], \"stream\": true}   ")
            }
            socket.close()
        }
        #expect(try await server.post("/v1/ask", #"{"question": "hello"}"#).status == 200)
        #expect(try await server.request("GET", "/health").status == 200)
        // A body cut short by its client is its fault (400), not the server's.
        try await Task.sleep(for: .milliseconds(200))
        let metrics = try await server.request("GET", "/metrics").text
        #expect(!metrics.contains("status=\"5"), "\(metrics)")
    }
}

/// A TCP client that writes what it is told, for requests URLSession will not send.
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) } }

    /// True when the server closed the connection within `timeout` seconds.
    func readUntilClosed(timeout: Int) -> Bool {
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    private var isOpen = true

    func close() {
        if isOpen { Glibc.close(fd) }
        isOpen = false
    }

    deinit { close() }
}
