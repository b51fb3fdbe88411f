import Foundation

/// A request the server refuses, with the one line that says why (the HTTP layer answers 400).
public struct BadRequest: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The limits on what a request may ask.
public enum ServeLimits {
    /// The longest question, prompt or text, in characters (the model reads at most 200 tokens of it).
    public static let maxInputCharacters = 10_000
    /// The most messages in a chat request.
    public static let maxMessages = 1_000
}

/// A request body: a JSON object of these fields and no others.
public protocol StrictRequest: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
}

extension StrictRequest {
    /// Reads a request body: malformed JSON, another type than an object, a field it does not
    /// have, a value of the wrong type: each a `BadRequest` saying so in one line.
    public static func decode(_ body: Data) throws -> Self {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        } catch {
            throw BadRequest("the body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else { throw BadRequest("the body must be a JSON object") }
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw BadRequest("unknown field \"\(unknown)\" (the fields are \(known.sorted().joined(separator: ", ")))")
        }
        do {
            return try JSONDecoder().decode(Self.self, from: body)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // Foundation's decoder does not say which field holds a number that does not fit
            // (2.5 or -1 for a whole number ≥ 0): the field without which the body reads.
            let culprit = fields.keys.sorted().filter { fields[$0] is NSNumber }.first { key in
                var rest = fields
                rest[key] = nil
                guard let data = try? JSONSerialization.data(withJSONObject: rest) else { return false }
                do { _ = try JSONDecoder().decode(Self.self, from: data) } catch DecodingError.dataCorrupted { return false } catch {}
                return true
            }
            guard let culprit else { throw BadRequest("the body could not be read") }
            throw BadRequest("\(culprit): expected a whole number in range, got \(fields[culprit]!)")
        } catch let error as DecodingError {
            throw BadRequest(error.oneLine)
        } catch let error as BadRequest {
            throw error
        } catch {
            throw BadRequest("the body could not be read: \(error)")
        }
    }
}

extension DecodingError {
    /// "max_length: expected Int", "messages[0].content: missing".
    var oneLine: String {
        func path(_ context: Context, _ last: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (last.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch self {
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(Self.name(type))"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(Self.name(type)), got null"
        case .keyNotFound(let key, let context): return "\(path(context, key)): missing"
        case .dataCorrupted(let context):  // "Parsed JSON number <2.5> does not fit in Int."
            return "\(path(context).isEmpty ? "body" : path(context)): \(context.debugDescription.prefix(200))"
        @unknown default: return "the body could not be read"
        }
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt64.Type, is Int64.Type: "a whole number"
        case is Float.Type, is Double.Type: "a number"
        default: "\(type)".contains("Array") ? "an array" : "an object"
        }
    }
}

/// Any field name: for listing the fields an object has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Checks a value against a `SettingRule`: "temperature: expected a number > 0, got -1".
func check(_ field: String, _ value: Float?, _ rule: SettingRule) throws {
    if let value, let problem = rule.problem(value) { throw BadRequest("\(field): \(problem)") }
}

func check(_ field: String, _ value: Int?, _ rule: SettingRule) throws {
    if let value, let problem = rule.problem(value) { throw BadRequest("\(field): \(problem)") }
}

/// A question, prompt or text: not blank, not longer than `ServeLimits.maxInputCharacters`.
func checkInput(_ field: String, _ text: String) throws {
    if text.allSatisfy(\.isWhitespace) { throw BadRequest("\(field): empty") }
    if text.count > ServeLimits.maxInputCharacters {
        throw BadRequest("\(field): longer than \(ServeLimits.maxInputCharacters) characters")
    }
}

/// `POST /v1/ask`: the question and `ask`'s options, by their flags' names (`--top-k` is `top_k`).
public struct AskRequest: StrictRequest {
    public var question: String
    public var sample: Bool?
    public var temperature: Float?
    public var topK: Int?
    public var topP: Float?
    public var beam: Int?
    public var maxLength: Int?
    public var seed: UInt64?
    public var allowUnknown: Bool?
    public var maxRepeats: Int?
    public var blockNgramRepeat: Int?
    public var nBest: Int?
    public var top: Int?
    public var minConfidence: Float?
    public var fallback: String?
    public var match: Float?
    public var noMatch: Bool?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case question, sample, temperature, topK = "top_k", topP = "top_p", beam, maxLength = "max_length", seed
        case allowUnknown = "allow_unknown", maxRepeats = "max_repeats", blockNgramRepeat = "block_ngram_repeat"
        case nBest = "n_best", top, minConfidence = "min_confidence", fallback, match, noMatch = "no_match"
    }

    public init(question: String) { self.question = question }

    /// The query, refused when a value is out of range or an option does not apply to `model`
    /// (as `ask` refuses them).
    public func query(for model: any LoadedModel.Type) throws -> ServedQuery {
        try checkInput("question", question)
        try check("temperature", temperature, .temperature)
        try check("top_k", topK, .topK)
        try check("top_p", topP, .topP)
        try check("beam", beam, .beamWidth)
        try check("max_length", maxLength, .maxLength)
        try check("n_best", nBest, .beamWidth)
        try check("min_confidence", minConfidence, .minConfidence)
        try check("match", match, .match)
        if let top, top < 1 { throw BadRequest("top: expected a whole number ≥ 1, got \(top)") }
        if (maxRepeats ?? 0) < 0 || (blockNgramRepeat ?? 0) < 0 { throw BadRequest("max_repeats and block_ngram_repeat are 0 or more") }
        let samples = sample == true || temperature != nil || topK != nil || topP != nil
        if beam != nil && samples { throw BadRequest("beam searches, sample samples: choose one") }
        if match != nil && noMatch == true { throw BadRequest("match and no_match cannot go together") }
        if let fallback, fallback.contains(where: \.isNewline) || fallback.count > ServeLimits.maxInputCharacters {
            throw BadRequest("fallback: one line of text, without line breaks")
        }

        var options = UseOptions(), given: Set<UseOption> = []
        var settings = DecodingSettings()
        if samples { settings.strategy = .sample }
        if let beam { settings.strategy = .beam; settings.beamWidth = beam }
        if let temperature { settings.temperature = temperature }
        if let topK { settings.topK = topK }
        if let topP { settings.topP = topP }
        if let maxLength { settings.maxLength = maxLength }
        settings.seed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))  // shown in the reply, as `ask` shows it
        settings.allowUnknown = allowUnknown ?? false
        if let maxRepeats { settings.maxRepeats = maxRepeats }
        if let blockNgramRepeat { settings.blockNgramRepeat = blockNgramRepeat }
        options.decoding = settings
        if samples || beam != nil || maxLength != nil || seed != nil || maxRepeats != nil || blockNgramRepeat != nil { given.insert(.decoding) }
        if allowUnknown == true { given.insert(.allowUnknown) }
        if let nBest { options.nBest = nBest; given.insert(.nBest) }
        if let top { options.top = top; given.insert(.top) }
        if minConfidence != nil || fallback != nil { given.insert(.confidence) }
        options.minConfidence = minConfidence
        if let fallback { options.fallback = fallback }
        if match != nil || noMatch != nil { given.insert(.match) }
        options.matchThreshold = noMatch == true ? nil : match ?? QuestionMatcher.defaultThreshold
        if let option = UseOption.allCases.first(where: { given.contains($0) && !model.options.contains($0) }) {
            throw BadRequest("\(option.fieldNames) \(option.fieldNames.contains(",") ? "do" : "does") not apply to \(model.task.description)")
        }
        return ServedQuery(text: question, options: options)
    }
}

extension UseOption {
    /// The request fields of the option: "sample, temperature, top_k, ...".
    var fieldNames: String {
        rawValue.replacingOccurrences(of: "--", with: "").replacingOccurrences(of: "-", with: "_")
    }
}

/// OpenAI's sampling fields (chat and text completions): temperature 0 or absent answers with
/// the most likely tokens (greedy; the server batches these); above 0 samples, with top_p.
public struct OpenAISampling: Sendable {
    public var temperature: Float?
    public var topP: Float?
    public var maxTokens: Int?
    public var n: Int?
    public var seed: Int64?

    public init(temperature: Float?, topP: Float?, maxTokens: Int?, n: Int?, seed: Int64?) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.n = n
        self.seed = seed
    }

    public var options: UseOptions {
        get throws {
            if let temperature, !(temperature.isFinite && temperature >= 0 && temperature <= 2) {
                throw BadRequest("temperature: expected a number from 0 to 2, got \(DecodingSettingsText.number(temperature))")
            }
            try check("top_p", topP, .topP)
            try check("max_tokens", maxTokens, .maxLength)
            if let n, !(1...16).contains(n) { throw BadRequest("n: expected a whole number from 1 to 16, got \(n)") }
            var options = UseOptions()
            if let temperature, temperature > 0 {
                options.decoding.strategy = .sample
                options.decoding.temperature = temperature
                if let topP { options.decoding.topP = topP }
            }
            if let maxTokens { options.decoding.maxLength = maxTokens }
            options.decoding.seed = seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64(UInt32.max))
            options.nBest = n ?? 1
            return options
        }
    }
}

/// `POST /v1/chat/completions`: OpenAI's chat request; the last user message is the question.
public struct ChatCompletionRequest: StrictRequest {
    public struct Message: Decodable, Sendable {
        public var role: String
        public var content: String

        enum Keys: String, CodingKey, CaseIterable { case role, content, name }
        struct Part: Decodable { var type: String; var text: String? }

        public init(from decoder: any Decoder) throws {
            if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.first(where: { Keys(stringValue: $0.stringValue) == nil }) {
                throw BadRequest("messages: unknown field \"\(unknown.stringValue)\" (the fields are content, name, role)")
            }
            let container = try decoder.container(keyedBy: Keys.self)
            role = try container.decode(String.self, forKey: .role)
            // A string, OpenAI's list of parts (only text is read), or null (an assistant's tool call).
            if try container.decodeNil(forKey: .content) {
                content = ""
            } else if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else {
                let parts = try container.decode([Part].self, forKey: .content)
                guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                    throw BadRequest("messages: content parts other than text are not read by this model")
                }
                content = parts.compactMap(\.text).joined(separator: "\n")
            }
        }
    }

    public var model: String?
    public var messages: [Message]
    public var temperature: Float?
    public var topP: Float?
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var n: Int?
    public var seed: Int64?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var user: String?

    public struct StreamOptions: Decodable, Sendable {
        public var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case model, messages, temperature, topP = "top_p", maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case n, seed, stream, streamOptions = "stream_options", user
    }

    public static let roles: Set = ["system", "developer", "user", "assistant", "tool"]

    /// The last user message, asked with the sampling fields.
    public func query() throws -> ServedQuery {
        if messages.count > ServeLimits.maxMessages { throw BadRequest("messages: more than \(ServeLimits.maxMessages)") }
        if let role = messages.first(where: { !Self.roles.contains($0.role) })?.role {
            throw BadRequest("messages: unknown role \"\(role)\" (expected system, developer, user, assistant or tool)")
        }
        guard let question = messages.last(where: { $0.role == "user" })?.content else { throw BadRequest("messages: no user message") }
        try checkInput("messages: the last user message", question)
        let sampling = OpenAISampling(temperature: temperature, topP: topP, maxTokens: maxTokens ?? maxCompletionTokens, n: n, seed: seed)
        return ServedQuery(text: question, options: try sampling.options)
    }
}

/// `POST /v1/completions` (a language model): OpenAI's text completion request.
public struct CompletionRequest: StrictRequest {
    public var model: String?
    public var prompt: String
    public var temperature: Float?
    public var topP: Float?
    public var maxTokens: Int?
    public var n: Int?
    public var seed: Int64?
    public var stream: Bool?
    public var user: String?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case model, prompt, temperature, topP = "top_p", maxTokens = "max_tokens", n, seed, stream, user
    }

    /// A language model samples unless told temperature 0 (`TextModel.settings`: beam means greedy).
    public func query() throws -> ServedQuery {
        if prompt.count > ServeLimits.maxInputCharacters { throw BadRequest("prompt: longer than \(ServeLimits.maxInputCharacters) characters") }
        var options = try OpenAISampling(temperature: temperature, topP: topP, maxTokens: maxTokens, n: n, seed: seed).options
        if temperature == 0 { options.decoding.strategy = .beam }
        return ServedQuery(text: prompt, options: options)
    }
}

/// `POST /v1/classify` (a classifier): a text, and how many labels to return.
public struct ClassifyRequest: StrictRequest {
    public var text: String
    public var top: Int?

    public enum CodingKeys: String, CodingKey, CaseIterable { case text, top }

    public func query() throws -> ServedQuery {
        try checkInput("text", text)
        if let top, top < 1 { throw BadRequest("top: expected a whole number ≥ 1, got \(top)") }
        var options = UseOptions()
        options.top = top ?? 1
        return ServedQuery(text: text, options: options)
    }
}
