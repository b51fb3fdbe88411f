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
///   known_questions  in files written before the tensors below: JSON array of the known questions
///               as token-id arrays
///   quantization  optional: which weight matrices are stored as I8 with their F32 scales in
///               `NAME_scale` (`Int8Layout`: "int8-per-row+attention-per-32", or "int8-per-row"
///               in older files; `lstmchat quantize`, docs/quantization.md)
///
/// Besides the weights, a seq2seq model may hold the distinct questions it was trained on, for
/// matching a question asked in other words (`KnownQuestions`), as two I32 tensors that are not
/// parameters: `known_questions.tokens` [T], every question's ids one after another, and
/// `known_questions.offsets` [N + 1], where each begins (0 first, T last). Tensors, not JSON in the
/// header: 5,000,000 questions are 180 MB of JSON, over what a safetensors header may hold.
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
    public var knownQuestions = TokenLists()
    /// `vocabulary` encoded as its metadata, when the writer has it already (`TaskData`).
    var vocabularyJSON: String?
    /// The int8 weights of a quantized model, by parameter name: the matrices its `Int8Layout`
    /// quantizes (empty: a float32 model). `parameters` then holds their dequantized values.
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

    /// The metadata's "vocabulary": the tokens as a JSON array.
    static func vocabularyJSON(_ tokens: [String]) -> String { jsonString(tokens) }

    private struct ConfigJSON: Codable {
        var vocab_size, embed_size, hidden_size, layers: Int
        var attention: Bool?
        var softmax: ModelConfig.Softmax?
        var cutoffs: [Int]?
    }

    public func write(to url: URL) throws {
        // Each tensor written from where it is: the model's own buffer, the run's questions.
        var tensors = parameters.layout.entries.flatMap { e -> [SafetensorsFile.Output] in
            guard let q = int8[e.name] else { return [.floats(e.name, shape: e.shape, UnsafeBufferPointer(parameters.value(e.name)))] }
            return [.init(.init(name: e.name, shape: e.shape, int8: q.values)), .init(.init(name: e.name + Self.scaleSuffix, shape: q.scaleShape, values: q.scales))]
        }
        if !knownQuestions.isEmpty { tensors += knownQuestions.outputs(name: Self.knownQuestionsName) }
        let c = ConfigJSON(vocab_size: config.vocabSize, embed_size: config.embedSize, hidden_size: config.hiddenSize, layers: config.layers,
                           attention: config.attention ? true : nil, softmax: config.softmax == .adaptive ? .adaptive : nil,
                           cutoffs: config.softmax == .adaptive ? config.cutoffs : nil)
        var metadata = [
            "format": task.format,
            "config": jsonString(c),
            "vocabulary": vocabularyJSON ?? Self.vocabularyJSON(vocabulary),
            "tokenizer": tokenizer,
            "training": jsonString(training),
        ]
        if let confidence { metadata["confidence"] = jsonString(confidence) }
        if task.definition.hasLabels { metadata["labels"] = jsonString(labels) }
        if normalizesQuestions { metadata["questions"] = Self.normalizedQuestions }
        if keepsText { metadata["answers"] = Self.answersAsWritten }
        if !int8.isEmpty { metadata["quantization"] = Int8Layout.of(int8, parameters.layout)!.rawValue }
        try withExtendedLifetime(parameters) { try SafetensorsFile.write(tensors, metadata: metadata, to: url) }
    }

    /// Reads a model and checks that the weights, the configuration and the vocabulary agree.
    /// Each tensor is read straight into the model's parameters.
    /// `knownQuestions` false leaves them unread (a resumed run makes its own from the data).
    public static func read(_ url: URL, knownQuestions: Bool = true) throws -> CheckpointFile {
        try SafetensorsFile.open(url, types: types) { try validated($0, file: url.path, knownQuestions: knownQuestions) }
    }

    public static func decode(_ data: Data, file: String) throws -> CheckpointFile {
        try validated(SafetensorsFile.Contents(data, file: file, types: types), file: file)
    }

    /// A model's task and training facts, its tensors left unread (what `train --resume` needs first).
    public static func readSummary(_ url: URL) throws -> (task: ModelTask, training: [String: String]) {
        let metadata = try SafetensorsFile.open(url, types: types) { $0.metadata }
        guard let task = metadata["format"].flatMap(ModelTask.init(format:)) else {
            throw CheckpointError(url.path, "not an lstmchat model (no known \"format\" in its metadata)")
        }
        return (task, metadata["training"].flatMap { jsonValue([String: String].self, $0) } ?? [:])
    }

    private static let types: Set<SafetensorsFile.DType> = [.f32, .i8, .i32]
    static let knownQuestionsName = "known_questions"

    private static func validated(_ contents: SafetensorsFile.Contents, file: String, knownQuestions readsKnown: Bool = true) throws -> CheckpointFile {
        let metadata = contents.metadata
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

        let knownQuestions = readsKnown ? try readKnownQuestions(contents, vocabularySize: config.vocabSize, fail: fail) : TokenLists()

        var labels: [String] = []
        if task.definition.hasLabels {
            guard let list = jsonValue([String].self, try field("labels")) else { throw fail("metadata \"labels\" is not a list of strings") }
            guard !list.isEmpty, list.count <= 1_000_000 else { throw fail("metadata \"labels\" holds \(list.count) labels") }
            guard Set(list).count == list.count else { throw fail("metadata \"labels\" holds a label twice") }
            labels = list
        }

        let int8Layout = try metadata["quantization"].map { name in
            guard let l = Int8Layout(rawValue: name) else { throw fail("unknown quantization \"\(name)\" (expected \"\(Int8Layout.current.rawValue)\")") }
            return l
        }

        // The tensors must be exactly the layout's, in shape and name, and finite; in a quantized
        // model each matrix its `int8Layout` quantizes is I8 (−127…127) with its scales beside it.
        if int8Layout != nil, config.softmax == .adaptive { throw fail("a model with an adaptive softmax cannot be quantized") }
        let layout = task.definition.layout(config: config, labels: labels.count)
        let scaleNames = Set(layout.entries.filter { int8Layout?.groupSize($0) != nil }.map { $0.name + scaleSuffix })
        let knownNames = [".tokens", ".offsets"].map { knownQuestionsName + $0 }
        if let extra = contents.entries.first(where: { layout.entry($0.name) == nil && !scaleNames.contains($0.name) && !knownNames.contains($0.name) }) {
            throw fail("unexpected tensor \(extra.name)")
        }
        let parameters = Parameters(layout: layout)
        var int8: [String: QuantizedMatrix] = [:]
        for e in layout.entries {
            guard let t = contents.entry(e.name) else { throw fail("missing tensor \(e.name)") }
            guard t.shape == e.shape else { throw fail("tensor \(e.name) has shape \(t.shape), the configuration needs \(e.shape)") }
            let groupSize = int8Layout?.groupSize(e)
            let want: SafetensorsFile.DType = groupSize != nil ? .i8 : .f32
            guard t.dtype == want else { throw fail("tensor \(e.name) is \(t.dtype.rawValue), this model stores it as \(want.rawValue)") }
            let destination = parameters.value(e.name)
            if let groupSize {
                let values = try contents.values(t, as: Int8.self)
                guard !values.contains(-128) else { throw fail("tensor \(e.name) holds -128 (int8 weights lie in -127...127)") }
                let scaleName = e.name + scaleSuffix
                guard let s = contents.entry(scaleName) else { throw fail("missing tensor \(scaleName)") }
                let scaleShape = QuantizedMatrix.scaleShape(rows: e.shape[0], columns: e.shape[1], groupSize: groupSize)
                guard s.dtype == .f32, s.shape == scaleShape else {
                    throw fail("tensor \(scaleName) is \(s.dtype.rawValue) \(s.shape), the configuration needs F32 \(scaleShape)")
                }
                let scales = try contents.values(s, as: Float.self)
                guard scales.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw fail("tensor \(scaleName) holds negative, NaN or infinite scales") }
                let q = QuantizedMatrix(rows: e.shape[0], columns: e.shape[1], groupSize: groupSize, values: values, scales: scales)
                q.dequantize(into: destination.baseAddress!)
                int8[e.name] = q
            } else {
                try contents.read(t, into: UnsafeMutableRawBufferPointer(destination))
                guard destination.allSatisfy({ $0.isFinite }) else { throw fail("tensor \(e.name) holds NaN or infinite values") }
            }
        }
        var file = CheckpointFile(config: config, parameters: parameters, vocabulary: vocabulary, tokenizer: tokenizer,
                                  normalizesQuestions: normalizesQuestions, keepsText: keepsText, training: training,
                                  confidence: confidence, task: task, labels: labels)
        file.knownQuestions = knownQuestions
        file.int8 = int8
        return file
    }

    /// The known questions: from their two tensors, or from the JSON of older files; none if neither.
    private static func readKnownQuestions(_ contents: SafetensorsFile.Contents, vocabularySize: Int,
                                           fail: (String) -> CheckpointError) throws -> TokenLists {
        let (tokensName, offsetsName) = (knownQuestionsName + ".tokens", knownQuestionsName + ".offsets")
        let isToken = { (t: Int32) in t >= 0 && Int(t) < vocabularySize }
        switch (contents.entry(tokensName), contents.entry(offsetsName)) {
        case (nil, nil):
            guard let text = contents.metadata["known_questions"] else { return TokenLists() }
            guard let lists = TokenListsJSON.decode(text), lists.allSatisfy({ $0.allSatisfy(isToken) }) else {
                throw fail("metadata \"known_questions\" is not a list of token-id lists within the vocabulary")
            }
            return TokenLists(lists)
        case let (tokens?, offsets?):
            guard tokens.dtype == .i32, tokens.shape.count == 1, offsets.dtype == .i32, offsets.shape.count == 1, offsets.count >= 1 else {
                throw fail("tensors \(tokensName) and \(offsetsName) are not I32 lists")
            }
            let bounds = try contents.values(offsets, as: Int32.self)
            guard bounds.first == 0, bounds.last.map(Int.init) == tokens.count, zip(bounds, bounds.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw fail("tensor \(offsetsName) does not rise from 0 to the \(tokens.count) known-question tokens")
            }
            return try TokenLists(tokenCount: tokens.count, offsets: bounds) { buffer in
                try contents.read(tokens, into: UnsafeMutableRawBufferPointer(buffer))
                guard buffer.allSatisfy(isToken) else { throw fail("tensor \(tokensName) holds ids outside the vocabulary") }
            }
        case let (tokens, offsets):
            throw fail("tensor \(tokens == nil ? offsetsName : tokensName) has no \(tokens == nil ? tokensName : offsetsName) beside it")
        }
    }

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
