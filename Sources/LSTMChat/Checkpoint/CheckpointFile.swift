import Foundation

/// A trained model in one file, `model.safetensors`: every weight under its PyTorch name and
/// layout, and in `__metadata__` everything `chat` needs besides — the model's shape, the
/// tokenizer and the vocabulary — so one file is the whole model.
///
/// Metadata keys (all strings, as safetensors requires):
///   format      "lstmchat-seq2seq/1", "lstmchat-lm/1" or "lstmchat-classifier/1": the task
///   config      {"vocab_size", "embed_size", "hidden_size", "layers"} as JSON, and "attention": true
///               for a model with attention (absent: none, as in files written before it existed);
///               "softmax": "adaptive" and "cutoffs": [2000, 10000] for a seq2seq model whose output
///               layer is PyTorch's `nn.AdaptiveLogSoftmaxWithLoss` (div_value 4, no head bias), its
///               tensors `proj.head.weight`, `proj.tail.<i>.0.weight`, `proj.tail.<i>.1.weight`
///   vocabulary  JSON array of the tokens, index = id (`<pad>`, `<unk>`, `<bos>`, `<eos>` first)
///   tokenizer   "word" or "char"
///   labels      classifiers only: JSON array of the labels, index = class id
///   questions   "final-punctuation-dropped" when questions were tokenized by
///               `Tokenizer.tokenizeQuestion` with normalization (absent in older models)
///   answers     "as-written" when answers were tokenized as written (`Tokenizer.keepsText`:
///               case, spacing and line breaks kept; absent in older models, whose answers were
///               lowercased and their whitespace dropped)
///   training    JSON of what trained it (steps, epochs, flags): informative only
///   confidence  optional: {"measure", "threshold"} as JSON, the confidence below which `chat`
///               and `ask` give a fallback answer (files without it answer everything)
///   known_questions  optional: JSON array of the distinct training questions as token-id arrays,
///               for matching a question asked in other words (`KnownQuestions`)
///   quantization  optional: "int8-per-row" when every weight matrix is stored as I8 with a F32
///               scale per row in `NAME_scale` (`lstmchat quantize`, docs/quantization.md)
public struct CheckpointFile {
    static let normalizedQuestions = "final-punctuation-dropped"
    static let answersAsWritten = "as-written"

    public var task: ModelTask
    public var config: ModelConfig
    public var parameters: Parameters
    public var vocabulary: [String]
    public var tokenizer: String
    /// Whether the model was trained on questions without their final punctuation (and so must be asked so).
    public var normalizesQuestions: Bool
    /// Whether the model was trained on answers as written (`Tokenizer.keepsText`).
    public var keepsText: Bool
    /// Free-form facts about training (`steps`, `epoch`, flags), JSON in the file.
    public var training: [String: String]
    /// The default confidence threshold chosen for this model, if one was.
    public var confidence: ConfidenceThreshold?
    /// The classifier's labels, in class-id order (empty for the other tasks).
    public var labels: [String]
    /// The distinct questions a seq2seq model was trained on, as token ids (empty: not recorded).
    public var knownQuestions: [[Int32]] = []
    /// The int8 weights of a quantized model, by parameter name: every weight matrix (empty: a
    /// float32 model). `parameters` then holds their dequantized values.
    public var int8: [String: QuantizedMatrix] = [:]

    public init(config: ModelConfig, parameters: Parameters, vocabulary: [String], tokenizer: String,
                normalizesQuestions: Bool = false, keepsText: Bool = false, training: [String: String] = [:],
                confidence: ConfidenceThreshold? = nil, task: ModelTask = .seq2seq, labels: [String] = []) {
        self.task = task
        self.labels = labels
        self.config = config
        self.parameters = parameters
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.normalizesQuestions = normalizesQuestions
        self.keepsText = keepsText
        self.training = training
        self.confidence = confidence
    }

    private struct ConfigJSON: Codable {
        var vocab_size, embed_size, hidden_size, layers: Int
        var attention: Bool?
        var softmax: ModelConfig.Softmax?
        var cutoffs: [Int]?
    }

    public func write(to url: URL) throws {
        let tensors = parameters.layout.entries.flatMap { e -> [SafetensorsFile.Tensor] in
            guard let q = int8[e.name] else { return [.init(name: e.name, shape: e.shape, values: Array(parameters.value(e.name)))] }
            return [.init(name: e.name, shape: e.shape, int8: q.values), .init(name: e.name + Self.scaleSuffix, shape: [q.rows], values: q.scales)]
        }
        let c = ConfigJSON(vocab_size: config.vocabSize, embed_size: config.embedSize, hidden_size: config.hiddenSize, layers: config.layers,
                           attention: config.attention ? true : nil, softmax: config.softmax == .adaptive ? .adaptive : nil,
                           cutoffs: config.softmax == .adaptive ? config.cutoffs : nil)
        var metadata = [
            "format": task.format,
            "config": jsonString(c),
            "vocabulary": jsonString(vocabulary),
            "tokenizer": tokenizer,
            "training": jsonString(training),
        ]
        if let confidence { metadata["confidence"] = jsonString(confidence) }
        if task.definition.hasLabels { metadata["labels"] = jsonString(labels) }
        if normalizesQuestions { metadata["questions"] = Self.normalizedQuestions }
        if keepsText { metadata["answers"] = Self.answersAsWritten }
        if !knownQuestions.isEmpty { metadata["known_questions"] = TokenListsJSON.encode(knownQuestions) }
        if !int8.isEmpty { metadata["quantization"] = Self.int8PerRow }
        try SafetensorsFile.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a model and checks that the weights, the configuration and the vocabulary agree.
    public static func read(_ url: URL) throws -> CheckpointFile {
        try validated(SafetensorsFile.read(url, types: [.f32, .i8]), file: url.path)
    }

    public static func decode(_ data: Data, file: String) throws -> CheckpointFile {
        try validated(SafetensorsFile.decode(data, file: file, types: [.f32, .i8]), file: file)
    }

    private static func validated(_ contents: (tensors: [SafetensorsFile.Tensor], metadata: [String: String]), file: String) throws -> CheckpointFile {
        let (tensors, metadata) = contents
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file, problem) }
        func field(_ key: String) throws -> String {
            guard let value = metadata[key] else { throw fail("not an lstmchat model (no \"\(key)\" in its metadata)") }
            return value
        }
        let formatName = try field("format")
        guard let task = ModelTask(format: formatName) else {
            throw fail("unsupported format \(formatName) (expected one of \(ModelTask.allCases.map(\.format).joined(separator: ", ")))")
        }
        guard let c = jsonValue(ConfigJSON.self, try field("config")) else { throw fail("metadata \"config\" is not a model configuration") }
        guard [c.vocab_size, c.embed_size, c.hidden_size, c.layers].allSatisfy({ $0 > 0 }),
              c.vocab_size <= 10_000_000, c.embed_size <= 1 << 16, c.hidden_size <= 1 << 16, c.layers <= 64 else {
            throw fail("metadata \"config\" has impossible sizes")
        }
        let config = ModelConfig(vocabSize: c.vocab_size, embedSize: c.embed_size, hiddenSize: c.hidden_size, layers: c.layers,
                                 attention: c.attention ?? false, softmax: c.softmax ?? .full, cutoffs: c.cutoffs ?? [])
        if let problem = config.adaptiveSoftmaxProblem { throw fail("metadata \"config\": \(problem)") }
        guard config.softmax == .full || task == .seq2seq else { throw fail("only a seq2seq model has an adaptive softmax") }
        guard let vocabulary = jsonValue([String].self, try field("vocabulary")) else { throw fail("metadata \"vocabulary\" is not a list of strings") }
        guard vocabulary.count == config.vocabSize else {
            throw fail("vocabulary has \(vocabulary.count) tokens but the model has \(config.vocabSize)")
        }
        let tokenizer = try field("tokenizer")
        let normalizesQuestions: Bool
        switch metadata["questions"] {
        case nil: normalizesQuestions = false
        case normalizedQuestions?: normalizesQuestions = true
        case let other?: throw fail("unknown question normalization \"\(other)\" (expected \"\(normalizedQuestions)\")")
        }
        let keepsText: Bool
        switch metadata["answers"] {
        case nil: keepsText = false
        case answersAsWritten?: keepsText = true
        case let other?: throw fail("unknown answer tokenization \"\(other)\" (expected \"\(answersAsWritten)\")")
        }
        let training = metadata["training"].flatMap { jsonValue([String: String].self, $0) } ?? [:]
        var confidence: ConfidenceThreshold?
        if let text = metadata["confidence"] {
            guard let value = jsonValue(ConfidenceThreshold.self, text), value.threshold.isFinite else {
                throw fail("metadata \"confidence\" is not a measure and a threshold")
            }
            confidence = value
        }

        var knownQuestions: [[Int32]] = []
        if let text = metadata["known_questions"] {
            guard let list = TokenListsJSON.decode(text),
                  list.allSatisfy({ $0.allSatisfy { $0 >= 0 && Int($0) < config.vocabSize } }) else {
                throw fail("metadata \"known_questions\" is not a list of token-id lists within the vocabulary")
            }
            knownQuestions = list
        }

        var labels: [String] = []
        if task.definition.hasLabels {
            guard let list = jsonValue([String].self, try field("labels")) else { throw fail("metadata \"labels\" is not a list of strings") }
            guard !list.isEmpty, list.count <= 1_000_000 else { throw fail("metadata \"labels\" holds \(list.count) labels") }
            guard Set(list).count == list.count else { throw fail("metadata \"labels\" holds a label twice") }
            labels = list
        }

        let quantized: Bool
        switch metadata["quantization"] {
        case nil: quantized = false
        case int8PerRow?: quantized = true
        case let other?: throw fail("unknown quantization \"\(other)\" (expected \"\(int8PerRow)\")")
        }

        // The tensors must be exactly the layout's, in shape and name, and finite; in a quantized
        // model each matrix is I8 (−127…127) with its rows' scales beside it.
        if quantized, config.softmax == .adaptive { throw fail("a model with an adaptive softmax cannot be quantized") }
        let layout = task.definition.layout(config: config, labels: labels.count)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let scaleNames = quantized ? Set(layout.entries.filter(\.isQuantized).map { $0.name + scaleSuffix }) : []
        if let extra = tensors.first(where: { layout.entry($0.name) == nil && !scaleNames.contains($0.name) }) {
            throw fail("unexpected tensor \(extra.name)")
        }
        let parameters = Parameters(layout: layout)
        var int8: [String: QuantizedMatrix] = [:]
        for e in layout.entries {
            guard let t = byName[e.name] else { throw fail("missing tensor \(e.name)") }
            guard t.shape == e.shape else { throw fail("tensor \(e.name) has shape \(t.shape), the configuration needs \(e.shape)") }
            let want: SafetensorsFile.DType = quantized && e.isQuantized ? .i8 : .f32
            guard t.dtype == want else { throw fail("tensor \(e.name) is \(t.dtype.rawValue), this model stores it as \(want.rawValue)") }
            let destination = parameters.value(e.name)
            if want == .i8 {
                guard !t.int8.contains(-128) else { throw fail("tensor \(e.name) holds -128 (int8 weights lie in -127...127)") }
                let scaleName = e.name + scaleSuffix
                guard let scales = byName[scaleName] else { throw fail("missing tensor \(scaleName)") }
                guard scales.dtype == .f32, scales.shape == [e.shape[0]] else {
                    throw fail("tensor \(scaleName) is \(scales.dtype.rawValue) \(scales.shape), the configuration needs F32 [\(e.shape[0])]")
                }
                guard scales.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw fail("tensor \(scaleName) holds negative, NaN or infinite scales") }
                let q = QuantizedMatrix(rows: e.shape[0], columns: e.shape[1], values: t.int8, scales: scales.values)
                q.dequantize(into: destination.baseAddress!)
                int8[e.name] = q
            } else {
                guard t.values.allSatisfy({ $0.isFinite }) else { throw fail("tensor \(e.name) holds NaN or infinite values") }
                for i in 0..<e.count { destination[i] = t.values[i] }
            }
        }
        var file = CheckpointFile(config: config, parameters: parameters, vocabulary: vocabulary, tokenizer: tokenizer,
                                  normalizesQuestions: normalizesQuestions, keepsText: keepsText, training: training,
                                  confidence: confidence, task: task, labels: labels)
        file.knownQuestions = knownQuestions
        file.int8 = int8
        return file
    }

    /// The `quantization` metadata of a model whose matrices are int8 with a scale per row.
    static let int8PerRow = "int8-per-row"
    /// The name of a quantized matrix's scales: `NAME_scale` beside `NAME`.
    static let scaleSuffix = "_scale"

    /// What this model is when it cannot be quantized ("a text classifier": it generates
    /// nothing; "a model with an adaptive softmax": its output layer has no int8 form), else nil.
    public var notQuantizable: String? {
        if !task.definition.quantizable { return task.description }
        return config.softmax == .adaptive ? "a model with an adaptive softmax" : nil
    }

    /// Quantizes its weight matrices (`Parameters.quantizeMatrices`); a model already quantized
    /// is left as it is.
    public mutating func quantize() {
        if int8.isEmpty { int8 = parameters.quantizeMatrices() }
    }
}

/// A model's default confidence threshold, and the measure it was chosen for.
public struct ConfidenceThreshold: Codable, Equatable, Sendable {
    /// `AnswerConfidence.measure` when it was chosen: a threshold for another measure means nothing.
    public var measure: String
    public var threshold: Float

    public init(measure: String = AnswerConfidence.measure, threshold: Float) {
        self.measure = measure
        self.threshold = threshold
    }

    /// The threshold, if it was chosen for the measure this program computes.
    public var applicable: Float? { measure == AnswerConfidence.measure ? threshold : nil }
}

func jsonString<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

func jsonValue<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
    try? JSONDecoder().decode(type, from: Data(text.utf8))
}
