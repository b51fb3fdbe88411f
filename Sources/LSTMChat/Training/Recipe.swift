import Foundation

/// Everything a training run is started with: the data, the model's shape, the solver and the
/// run's stopping rules. One type for every task: each task gives its defaults and the keys that
/// mean something to it (`TaskDefinition`); `lstmchat train` takes a flag per key, a config file
/// takes the same keys, and the recipe is stored with the run so that --resume needs no flags.
public struct Recipe: Codable, Equatable, Sendable {
    public var task: ModelTask
    public var data: DataSource

    // The model.
    public var tokenizer: Tokenizer.Kind
    public var embed: Int
    public var hidden: Int
    public var layers: Int
    public var attention: Bool
    public var minCount: Int
    public var maxVocab: Int
    /// seq2seq: the output layer's softmax, and an adaptive one's cutoffs (nil in runs recorded
    /// before there was a choice: a full softmax).
    public var softmax: ModelConfig.Softmax?
    public var cutoffs: [Int]?

    // The solver.
    public var epochs: Int
    public var lr: Float
    public var lrDecay: Float
    /// The decay stops here, as a share of `lr`: a long run on a small text (many short epochs)
    /// keeps learning instead of stalling at a rate of nearly zero.
    public var lrFloor: Float
    public var clip: Float
    public var dropout: Float
    public var wordDropout: Float
    /// The most rows per batch; a small data set gets smaller batches (`fittedBatchSize`).
    public var batchSize: Int
    public var seed: UInt64

    // The data as the model sees it.
    /// seq2seq: the longest question or answer; classify: the longest text (tokens).
    public var maxLength: Int
    /// lm: the tokens of each window of truncated backpropagation through time.
    public var seqLength: Int
    public var valFraction: Double

    // When to stop, and what to measure (seq2seq).
    public var untilAccuracy: Float?
    public var exactMatchSample: Int
    public var unrelated: String?
    public var keywords: String?

    /// The recipe's keys: flag names without their dashes, and a config file's keys.
    public enum Key: String, CaseIterable, Codable, Sendable {
        case questions, answers, format
        case tokenizer, embed, hidden, layers, attention, minCount = "min-count", maxVocab = "max-vocab", softmax, cutoffs
        case epochs, lr, lrDecay = "lr-decay", lrFloor = "lr-floor", clip, dropout, wordDropout = "word-dropout"
        case batchSize = "batch-size", seed, maxLength = "max-length", seqLength = "seq-length", valFraction = "val-fraction"
        case untilAccuracy = "until-accuracy", exactMatchSample = "exact-match-sample", unrelated, keywords

        public var flag: String { "--" + rawValue }

        /// The tasks that take this key, in `ModelTask`'s order.
        public var tasks: [ModelTask] { ModelTask.allCases.filter { $0.definition.keys.contains(self) } }

        /// "seq2seq and classify": the tasks' names, for messages.
        public var taskNames: String { tasks.map(\.rawValue).joined(separator: " and ") }

        /// The keys of an LSTM and its solver, which every task takes.
        public static let modelAndSolver: Set<Key> = [.tokenizer, .embed, .hidden, .layers, .minCount, .maxVocab, .epochs, .lr,
                                                       .lrDecay, .lrFloor, .clip, .dropout, .batchSize, .seed, .valFraction]
    }

    /// The training settings the trainer takes (and the training state records).
    public var settings: TrainingSettings {
        var s = TrainingSettings()
        s.epochs = epochs
        s.learningRate = lr
        s.lrDecay = lrDecay
        s.lrFloor = lrFloor
        s.clip = clip
        s.dropout = dropout
        s.batchSize = batchSize
        s.seed = seed
        return s
    }

    /// The model's shape for a vocabulary of `vocabSize` tokens.
    public func config(vocabSize: Int) -> ModelConfig {
        ModelConfig(vocabSize: vocabSize, embedSize: embed, hiddenSize: hidden, layers: layers, attention: attention,
                    softmax: softmax ?? .full, cutoffs: cutoffs ?? [])
    }

    /// At most `batchSize` rows, and no more than leave `minimumStepsPerEpoch` steps in an epoch
    /// of `rows` rows: a 2 kB text cut in 20 windows trains in batches of 2, 10 steps an epoch,
    /// rather than in one batch of 20 whose epochs are a single step each.
    public static let minimumStepsPerEpoch = 8

    public static func fittedBatchSize(_ batchSize: Int, rows: Int) -> Int {
        max(1, min(batchSize, rows / minimumStepsPerEpoch))
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The recipe stored with a run, also in the two shapes of runs saved before there was one
    /// recipe for every task (nil when there is none).
    public init?(json: String?) {
        guard let json else { return nil }
        if let value = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) {
            self = value
        } else if let old = try? JSONDecoder().decode(EarlierRecipe.self, from: Data(json.utf8)) {
            self = old.recipe
        } else {
            return nil
        }
    }

    /// How runs were recorded before this type: the question-answering recipe (its data under
    /// `source`) or the other tasks' (`task`, `data`, and `length` for the window or text length).
    private struct EarlierRecipe: Decodable {
        struct Source: Decodable { var data, questions, answers, format: String? }
        var task: ModelTask?
        var source: Source?
        var data: String?
        var tokenizer: Tokenizer.Kind
        var embed, hidden, layers, minCount, maxVocab: Int
        var attention: Bool?
        var wordDropout: Float?
        var maxLength, length: Int?
        var validationFraction: Double
        var settings: TrainingSettings

        var recipe: Recipe {
            let task = task ?? .default
            // `length` was the window of a task that reads windows, and the longest text of the others.
            let windows = task.definition.keys.contains(.seqLength)
            let data = source.map { DataSource(data: $0.data, questions: $0.questions, answers: $0.answers, format: $0.format) }
                ?? DataSource(data: data)
            // No floor: these runs decayed without one, and a resumed run goes on as it began.
            return Recipe(task: task, data: data, tokenizer: tokenizer, embed: embed, hidden: hidden, layers: layers,
                          attention: attention ?? false, minCount: minCount, maxVocab: maxVocab, epochs: settings.epochs,
                          lr: settings.learningRate, lrDecay: settings.lrDecay, lrFloor: 0, clip: settings.clip,
                          dropout: settings.dropout, wordDropout: wordDropout ?? 0, batchSize: settings.batchSize,
                          seed: settings.seed, maxLength: maxLength ?? (windows ? 60 : length ?? 60),
                          seqLength: windows ? length ?? 100 : 100, valFraction: validationFraction)
        }
    }

    public init(task: ModelTask, data: DataSource, tokenizer: Tokenizer.Kind, embed: Int, hidden: Int, layers: Int,
                attention: Bool, minCount: Int = 1, maxVocab: Int = 20_000, softmax: ModelConfig.Softmax? = nil,
                cutoffs: [Int]? = nil, epochs: Int, lr: Float, lrDecay: Float,
                lrFloor: Float = 0.1, clip: Float = 5, dropout: Float, wordDropout: Float = 0, batchSize: Int = 32,
                seed: UInt64 = 1, maxLength: Int = 60, seqLength: Int = 100, valFraction: Double,
                untilAccuracy: Float? = nil, exactMatchSample: Int = 500, unrelated: String? = nil, keywords: String? = nil) {
        self.task = task
        self.data = data
        self.tokenizer = tokenizer
        self.embed = embed
        self.hidden = hidden
        self.layers = layers
        self.attention = attention
        self.minCount = minCount
        self.maxVocab = maxVocab
        self.softmax = softmax
        self.cutoffs = cutoffs
        self.epochs = epochs
        self.lr = lr
        self.lrDecay = lrDecay
        self.lrFloor = lrFloor
        self.clip = clip
        self.dropout = dropout
        self.wordDropout = wordDropout
        self.batchSize = batchSize
        self.seed = seed
        self.maxLength = maxLength
        self.seqLength = seqLength
        self.valFraction = valFraction
        self.untilAccuracy = untilAccuracy
        self.exactMatchSample = exactMatchSample
        self.unrelated = unrelated
        self.keywords = keywords
    }

    /// A key's value as text, as help and config.yaml show it.
    public func text(of key: Key) -> String? {
        func number(_ x: Float) -> String { x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : "\(x)" }
        switch key {
        case .questions: return data.questions
        case .answers: return data.answers
        case .format: return data.format
        case .tokenizer: return tokenizer.rawValue
        case .embed: return String(embed)
        case .hidden: return String(hidden)
        case .layers: return String(layers)
        case .attention: return attention ? "on" : "off"
        case .minCount: return String(minCount)
        case .maxVocab: return String(maxVocab)
        case .softmax: return softmax?.rawValue
        case .cutoffs: return cutoffs.map { $0.map(String.init).joined(separator: ",") }
        case .epochs: return String(epochs)
        case .lr: return number(lr)
        case .lrDecay: return number(lrDecay)
        case .lrFloor: return number(lrFloor)
        case .clip: return number(clip)
        case .dropout: return number(dropout)
        case .wordDropout: return number(wordDropout)
        case .batchSize: return String(batchSize)
        case .seed: return String(seed)
        case .maxLength: return String(maxLength)
        case .seqLength: return String(seqLength)
        case .valFraction: return valFraction == valFraction.rounded() ? String(Int(valFraction)) : "\(valFraction)"
        case .untilAccuracy: return untilAccuracy.map(number)
        case .exactMatchSample: return String(exactMatchSample)
        case .unrelated: return unrelated
        case .keywords: return keywords
        }
    }
}

/// Where a run's data comes from: DATA (a file or directory), or --questions with --answers.
public struct DataSource: Codable, Equatable, Sendable {
    public var data, questions, answers, format: String?

    public init(data: String? = nil, questions: String? = nil, answers: String? = nil, format: String? = nil) {
        self.data = data
        self.questions = questions
        self.answers = answers
        self.format = format
    }

    public var isGiven: Bool { data != nil || questions != nil }

    /// A name for a run on this data: the file's name without its extension.
    public var name: String { URL(fileURLWithPath: data ?? questions ?? "run").deletingPathExtension().lastPathComponent }

    /// The question/answer pairs it holds.
    public func pairs() throws -> [QAPair] {
        var pairs: [QAPair] = []
        try forEachPair { pairs.append($0) }
        return pairs
    }

    /// Each pair in turn, without holding them all when the data is TSV (`DatasetReader.forEachPair`).
    public func forEachPair(_ body: (QAPair) throws -> Void) throws {
        if let questions, let answers { return try DatasetReader.read(questions: questions, answers: answers).forEach(body) }
        guard let data else { throw DataError(file: "", "no data given") }
        try DatasetReader.forEachPair(data, format: format.flatMap(DataFormat.init(rawValue:)), body)
    }

    /// The files the data is read from: a file, the two parallel files, or every file of a
    /// directory (some of which the readers may skip), in name order.
    public func files() throws -> [String] {
        if let questions, let answers { return [questions, answers] }
        guard let data else { throw DataError(file: "", "no data given") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue else { return [data] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { (data as NSString).appendingPathComponent($0) }.filter {
            FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
