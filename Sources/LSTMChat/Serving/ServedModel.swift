import Foundation

/// One request to a served model: a line of input and the `ask` options it came with.
public struct ServedQuery: Sendable {
    public var text: String
    public var options: UseOptions
    /// The reply will be streamed: its choices' text token by token (`ServedChoice.pieces`).
    public var stream: Bool
    /// Where a streamed greedy answer's pieces go as they are decoded (the first choice's, in
    /// order; a prefix of its pieces, perhaps none); nil: the reply's pieces come with it.
    public var pieces: AsyncStream<String>.Continuation?

    public init(text: String, options: UseOptions, stream: Bool = false, pieces: AsyncStream<String>.Continuation? = nil) {
        self.text = text
        self.options = options
        self.stream = stream
        self.pieces = pieces
    }
}

/// A served model's reply to one query: what `ask --json` prints, and the parts an HTTP client
/// shows (OpenAI's choices, streamed piece by piece).
public struct ServedReply: Sendable {
    /// The JSON object `ask --json` prints for the same input and options.
    public var json: String
    /// The answers (or the fallback), the continuations, or the labels, best first.
    public var choices: [ServedChoice]
    /// The input's tokens, as the model read them.
    public var promptTokens: Int
    /// seq2seq: the model's confidence in the question, 0–1.
    public var confidence: Float?
    /// seq2seq: true when the confidence was below the threshold and the choice is the fallback.
    public var isFallback = false
    /// seq2seq: the known question asked instead of the one typed.
    public var askedAs: String?

    public init(json: String, choices: [ServedChoice], promptTokens: Int) {
        self.json = json
        self.choices = choices
        self.promptTokens = promptTokens
    }

    /// The tokens generated for every choice.
    public var completionTokens: Int { choices.reduce(0) { $0 + $1.tokens } }
}

public struct ServedChoice: Sendable, Equatable {
    public var text: String
    /// The text token by token when the query is streamed (else the text whole): their
    /// concatenation is `text`.
    public var pieces: [String]
    /// False when the text was cut at the length limit.
    public var finished: Bool
    /// The tokens the model generated for it (none for the fallback or a label).
    public var tokens: Int
    /// A classifier's probability of the label.
    public var probability: Float?

    public init(text: String, pieces: [String], finished: Bool, tokens: Int? = nil, probability: Float? = nil) {
        self.text = text
        self.pieces = pieces
        self.finished = finished
        self.tokens = tokens ?? pieces.count
        self.probability = probability
    }
}

/// A model `lstmchat serve` can serve: it answers a batch of queries (on the batcher's thread,
/// one batch at a time), each reply the one `ask` gives the query alone.
public protocol ServedModel: LoadedModel {
    func replies(_ queries: [ServedQuery]) -> [ServedReply]
    /// What decodes the queries a server's batcher hands it; by default each batch whole, at once.
    func decoder() -> any ServedDecoder
}

extension ServedModel {
    public func decoder() -> any ServedDecoder { WholeBatches(replies: replies) }
}

/// Decodes the queries a `DynamicBatcher` hands it, on the batcher's thread.
public protocol ServedDecoder: AnyObject {
    /// Takes queries in; `answer(i, reply)` gives query i its reply, at once or at a later `step`.
    func admit(_ queries: [ServedQuery], answer: @escaping (Int, ServedReply) -> Void)
    /// Decodes one step of the queries in progress; returns how many are left.
    func step() -> Int
}

/// Each batch answered whole when it is admitted.
final class WholeBatches: ServedDecoder {
    let replies: ([ServedQuery]) -> [ServedReply]
    init(replies: @escaping ([ServedQuery]) -> [ServedReply]) { self.replies = replies }

    func admit(_ queries: [ServedQuery], answer: @escaping (Int, ServedReply) -> Void) {
        for (i, reply) in replies(queries).enumerated() { answer(i, reply) }
    }

    func step() -> Int { 0 }
}

extension TextModel: ServedModel {
    /// One continuation per query (sampling is one row at a time), `nBest` of them when asked:
    /// draws of the same seeded generator, one after the other.
    public func replies(_ queries: [ServedQuery]) -> [ServedReply] {
        queries.map { query in
            let settings = Self.settings(query.options), generator = generator(settings)
            let choices = (0..<max(1, query.options.nBest)).map { _ in
                var pieces: [String] = []
                continueText(query.text, length: settings.maxLength, generator: generator, stopAtLineEnd: true) { pieces.append($0) }
                return ServedChoice(text: pieces.joined(), pieces: pieces, finished: pieces.count < settings.maxLength)
            }
            return ServedReply(json: Self.askJSON(prompt: query.text, continuation: choices[0].text, settings: settings),
                               choices: choices, promptTokens: encode(query.text).count)
        }
    }
}

extension LabelModel: ServedModel {
    /// Every query's text classified in one batch; each reply the `top` most likely labels.
    public func replies(_ queries: [ServedQuery]) -> [ServedReply] {
        zip(queries, classify(queries.map(\.text))).map { query, labels in
            let ranked = Array(labels.prefix(max(1, query.options.top)))
            let choices = ranked.map { ServedChoice(text: $0.label, pieces: [$0.label], finished: true, tokens: 0, probability: $0.probability) }
            return ServedReply(json: Self.askJSON(text: query.text, ranked: ranked), choices: choices, promptTokens: encode(query.text).count)
        }
    }
}

/// A model behind a `DynamicBatcher`, with the server's metrics: what the HTTP routes call.
public final class ModelService: @unchecked Sendable {
    /// The model's kind (its task, the options it takes); the model itself is the batcher's thread's.
    public let kind: any LoadedModel.Type
    /// The name clients know it by (OpenAI's "model"): the checkpoint's name.
    public let name: String
    public let summary: String
    public let metrics: ServeMetrics
    private let batcher: DynamicBatcher<ServedQuery, ServedReply>

    public init(model: any ServedModel, name: String, limits: DynamicBatcher<ServedQuery, ServedReply>.Limits = .init(),
                metrics: ServeMetrics = ServeMetrics()) {
        kind = type(of: model)
        self.name = name
        summary = model.summary
        self.metrics = metrics
        let decoder = model.decoder()
        batcher = DynamicBatcher(limits: limits, onBatch: metrics.batch(size:), admit: decoder.admit, step: decoder.step)
    }

    public var task: ModelTask { kind.task }

    /// The reply to `query`, decoded in a batch with the queries that arrive with it; throws
    /// `DynamicBatcher.Busy` when too many are waiting.
    public func reply(_ query: ServedQuery) async throws -> ServedReply {
        defer { query.pieces?.finish() }
        let reply = try await batcher.submit(query)
        metrics.generated(tokens: reply.completionTokens)
        return reply
    }

    /// Requests waiting for the model.
    public var waiting: Int { batcher.waiting }

    /// Takes no more queries; those waiting are answered.
    public func stop() { batcher.stop() }
}

/// Whether two replies as `ask --json` prints them say the same thing: the same fields, texts,
/// tokens and decisions, and numbers equal within `tolerance` (relative). A question decoded
/// in a batch gets the tokens it gets alone, but its log-probability and confidence may differ
/// in the last digits: the batch's matrix products add in another order.
public func sameReply(_ a: String, _ b: String, tolerance: Double = 1e-5) -> Bool {
    func same(_ x: Any, _ y: Any) -> Bool {
        switch (x, y) {
        case let (x as [String: Any], y as [String: Any]):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
        case let (x as [Any], y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy(same)
        case let (x as String, y as String):
            return x == y
        case let (x as NSNumber, y as NSNumber):
            let (u, v) = (x.doubleValue, y.doubleValue)
            return u == v || abs(u - v) <= tolerance * max(abs(u), abs(v))
        default:
            return x is NSNull && y is NSNull
        }
    }
    guard let x = try? JSONSerialization.jsonObject(with: Data(a.utf8)), let y = try? JSONSerialization.jsonObject(with: Data(b.utf8)) else { return false }
    return same(x, y)
}
