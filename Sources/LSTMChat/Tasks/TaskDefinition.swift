import Foundation

/// One task lstmchat trains, everything about it in one place: its recipe's defaults and the
/// recipe keys that mean something to it, the data it reads, the model it trains, how a run is
/// scored after each epoch, and the form the model takes when it is loaded to be used.
/// `lstmchat train` runs every task through the same trainer, checkpoints and resume path
/// (`TrainingRun`, `CheckpointDirectory`); `chat`, `ask`, `eval` and `generate` open a
/// checkpoint once and use the `LoadedModel` its task makes.
public protocol TaskDefinition {
    associatedtype Model: TrainableModel

    /// Its name, and how messages and checkpoints speak of it.
    static var identity: TaskIdentity { get }
    /// The recipe a run starts from when no flag changes it (its data empty).
    static var defaults: Recipe { get }
    /// The recipe keys that mean something to this task; `train` refuses the others.
    static var keys: Set<Recipe.Key> { get }
    /// True when the checkpoint records labels (the classifier's classes).
    static var hasLabels: Bool { get }
    /// The name DATA read from standard input (`train -`) is kept under in the run's directory.
    static var standardInputName: String { get }

    /// Reads the data and makes what a run needs of it. `resumed` is the checkpoint of a run
    /// being continued (its vocabulary, tokenizer and labels hold); `cache` is where the run
    /// keeps its data ready to train on (`TaskData.writeCache`), read instead of the data when
    /// resuming if it is still the data's; `fitBatchSize` lets the batch size shrink to the data
    /// (`Recipe.fittedBatchSize`); `warn` takes warnings.
    static func prepare(_ recipe: Recipe, resumed: CheckpointFile?, cache: URL?, fitBatchSize: Bool,
                        warn: (String) -> Void) throws -> TaskData<Model>

    /// The network of a checkpoint of this task, ready to be used with its vocabulary and tokenizer.
    static func loaded(_ network: Model, from checkpoint: CheckpointFile, vocabulary: Vocabulary, tokenizer: Tokenizer,
                       file: String) -> any LoadedModel
}

/// How a task is named: by `train --task`, by messages, and by a checkpoint's format.
public struct TaskIdentity: Sendable {
    public var task: ModelTask
    /// For messages: "a question-answering model".
    public var description: String
    /// The checkpoint's `format` metadata: "lstmchat-seq2seq/1".
    public var format: String
    /// What to do with such a model: "chat, ask and eval answer with it".
    public var uses: String
}

extension TaskDefinition {
    public static var task: ModelTask { identity.task }
    public static var description: String { identity.description }
    public static var format: String { identity.format }
    public static var uses: String { identity.uses }
    public static var hasLabels: Bool { false }

    /// The parameters of the task's model, under PyTorch's names.
    public static func layout(config: ModelConfig, labels: Int) -> ParameterLayout { Model.layout(config: config, labels: labels) }

    /// The model of a checkpoint of this task (read from `file`), ready to be used.
    public static func load(_ checkpoint: CheckpointFile, file: String) throws -> any LoadedModel {
        let (vocabulary, tokenizer) = try checkpoint.vocabularyAndTokenizer(file: file)
        let network = makeModel(config: checkpoint.config, labels: checkpoint.labels.count, parameters: checkpoint.parameters)
        if !checkpoint.int8.isEmpty, let generating = network as? any Int8Generating { generating.useInt8(checkpoint.int8) }
        return loaded(network, from: checkpoint, vocabulary: vocabulary, tokenizer: tokenizer, file: file)
    }

    /// The task's model, with `parameters` (a checkpoint's) or newly laid out.
    public static func makeModel(config: ModelConfig, labels: Int, parameters: Parameters?) -> Model {
        Model.make(config: config, labels: labels, parameters: parameters)
    }
    public static var standardInputName: String { "data.tsv" }
    /// Whether its models generate and so can run on int8 weights (`--quantize int8`).
    public static var quantizable: Bool { Model.self is any Int8Generating.Type }
}

/// A task's data, ready to train on, and what the run does with it besides training.
public struct TaskData<Model: TrainableModel> {
    /// The recipe as trained: the batch size fitted to the data.
    public var recipe: Recipe
    public var vocabulary: Vocabulary { didSet { vocabularyJSON = CheckpointFile.vocabularyJSON(vocabulary.tokens) } }
    /// `vocabulary` as a checkpoint's metadata holds it, encoded once rather than at every save:
    /// encoding 50,000 words takes 3 MB while it runs, the top of a run's peak memory.
    private var vocabularyJSON: String
    public var tokenizer: Tokenizer
    public var labels: [String] = []
    /// "1010 pairs (0 held out)": what the run trains on, for its first line.
    public var summary: String
    /// A hash of the data read, so that a resumed run can say its data changed.
    public var fingerprint: String
    /// The batches of an epoch, the same every time it is asked for the same epoch.
    public var batches: (_ epoch: Int) -> EpochBatches<Model.Batch>
    /// Validation loss and accuracy on the held-out share, or nil when nothing is held out.
    public var validate: (Model) -> Validation? = { _ in nil }
    /// The exact match on the training data (seq2seq), or nil.
    public var measure: (Model) -> Float? = { _ in nil }
    /// The epoch's line after "epoch 3/40 done: ", and lines to show below it.
    public var describe: (Validation?, _ exactMatch: Float?) -> [String]
    /// The loss log's task-specific columns.
    public var logColumns: [LossLog.ExtraColumn] = []
    /// What the checkpoint records besides the weights, vocabulary, tokenizer and labels.
    public var annotate: (inout CheckpointFile) -> Void = { _ in }
    /// Keeps the data ready to train on at the URL given (the run's directory exists then), so
    /// that a resumed run need not read it again; nothing for tasks whose data is small, or when
    /// it was read from there.
    public var writeCache: (URL) throws -> Void = { _ in }
    /// Done once a run ends (not when interrupted), with the saved model: messages to show.
    public var finish: (Model, CheckpointDirectory) throws -> [String] = { _, _ in [] }
    /// How to use the model: "chat with it: lstmchat chat --checkpoint DIR".
    public var nextStep: (CheckpointDirectory) -> String

    public init(recipe: Recipe, vocabulary: Vocabulary, tokenizer: Tokenizer, summary: String, fingerprint: String,
                batches: @escaping (Int) -> EpochBatches<Model.Batch>, describe: @escaping (Validation?, Float?) -> [String],
                nextStep: @escaping (CheckpointDirectory) -> String) {
        self.recipe = recipe
        self.vocabulary = vocabulary
        vocabularyJSON = CheckpointFile.vocabularyJSON(vocabulary.tokens)
        self.tokenizer = tokenizer
        self.summary = summary
        self.fingerprint = fingerprint
        self.batches = batches
        self.describe = describe
        self.nextStep = nextStep
    }

    /// The checkpoint of `model` as trained on this data.
    public func checkpoint(of model: Model, task: ModelTask) -> CheckpointFile {
        var file = CheckpointFile(config: model.config, parameters: model.parameters, vocabulary: vocabulary.tokens,
                                  tokenizer: tokenizer.kind.rawValue, normalizesQuestions: tokenizer.normalizesQuestions,
                                  keepsText: tokenizer.keepsText,
                                  task: task, labels: labels)
        file.vocabularyJSON = vocabularyJSON
        annotate(&file)
        return file
    }
}

/// A 64-bit FNV-1a hash of texts: tells a resumed run whether its data changed.
public func dataFingerprint<S: Sequence>(_ texts: S) -> String where S.Element == String {
    var hash = FNV1a()
    for text in texts { hash.add(text) }
    return hash.hex
}
