import Foundation

/// A trained model opened to be used: what `chat`, `ask` and `eval` (and a server) talk to,
/// whatever its task. `LoadedModels.open` reads a checkpoint once and makes the model its task
/// loads (`TaskDefinition.load`).
public protocol LoadedModel: AnyObject {
    static var task: ModelTask { get }
    /// The file it was read from.
    var path: String { get }
    /// "vocabulary 1234, 1 layer of 128 with attention, 403 training steps"
    var summary: String { get }
    /// The `ask` and `chat` options that mean something to it; the others are refused.
    static var options: Set<UseOption> { get }
    /// `ask`: the reply to one line of input.
    func ask(_ text: String, _ options: UseOptions) -> AskReply
    /// `chat`: a conversation that takes lines one at a time.
    func conversation(_ options: UseOptions) -> any Conversation
    /// `eval`: the model's figures on the data of `request`.
    func evaluate(_ request: EvaluationRequest) throws -> EvaluationReport
}

/// The options of `ask` and `chat`, by flag.
public enum UseOption: String, CaseIterable, Sendable {
    case decoding = "--sample, --temperature, --top-k, --top-p, --beam, --max-length, --seed"
    case nBest = "--n-best"
    case top = "--top"
    case confidence = "--min-confidence, --fallback"
    case match = "--match, --no-match"
    case allowUnknown = "--allow-unknown"
}

/// What `ask` and `chat` were told.
public struct UseOptions: Sendable {
    public var decoding = DecodingSettings()
    public var nBest = 1
    public var top = 1
    /// The confidence below which the fallback is said (nil: the model's own threshold).
    public var minConfidence: Float?
    public var fallback = UseOptions.defaultFallback
    /// Questions the model was not trained on are asked as the nearest known one at this
    /// similarity (nil: asked as typed).
    public var matchThreshold: Float? = QuestionMatcher.defaultThreshold
    /// Each answer written on one line, its line breaks, tabs and backslashes escaped as in a TSV
    /// answer (`TSVField`): what `ask` and `chat` print when their output is not a terminal.
    public var oneLinePerAnswer = false

    public static let defaultFallback = "I don't know that one."

    public init() {}
}

/// What `ask` prints for one line of input.
public struct AskReply {
    /// The lines of plain output.
    public var lines: [String]
    /// The notes for standard error ("(asked as: …)").
    public var notes: [String] = []
    /// The same reply as one JSON object, as `ask --json` prints it.
    public var json: String

    public init(lines: [String], notes: [String] = [], json: String) {
        self.lines = lines
        self.notes = notes
        self.json = json
    }
}

/// A chat with a model: each line typed is a question (or a text), or a slash command.
public protocol Conversation: AnyObject {
    /// What the prompt is for: "type /help for commands".
    var greeting: String { get }
    /// The slash commands, for Tab completion.
    var commandNames: [String] { get }
    /// Handles one line: what it says goes to `output` piece by piece (the line's end
    /// included), notes to `note`. False when the line asks to quit.
    func handle(_ line: String, output: (String) -> Void, note: (String) -> Void) -> Bool
}

/// What `eval` is asked to score.
public struct EvaluationRequest: Sendable {
    /// The data, read as `train` reads it for the model's task.
    public var data: DataSource = DataSource()
    /// seq2seq: reworded questions with the key words of a right answer.
    public var keywords: String?
    /// seq2seq: questions unrelated to the corpus, for the confidence figures.
    public var unrelated: String?
    public var showAnswers = false
    public var maxLength = 60
    public var minConfidence: Float?
    public var matchThreshold: Float? = QuestionMatcher.defaultThreshold

    /// True when --match or --no-match was given.
    public var matchGiven = false

    public init() {}

    /// Refuses what only a question-answering model uses (reworded and unrelated questions,
    /// parallel files, matching) when `model` is another kind.
    public func refuseQuestionAnsweringOptions(for model: any LoadedModel) throws {
        let given = [("--keywords", keywords != nil), ("--unrelated", unrelated != nil), ("--show", showAnswers),
                     ("--min-confidence", minConfidence != nil), ("--questions", data.questions != nil), ("--match", matchGiven)]
        if let flag = given.first(where: \.1)?.0 {
            throw UsageFailure("\(flag) does not apply to \(type(of: model).task.description) (\(model.path))")
        }
    }
}

/// `eval`'s figures: as lines for people and as one JSON object.
public struct EvaluationReport {
    public var lines: [String]
    public var json: [String: Any]

    public init(lines: [String], json: [String: Any]) {
        self.lines = lines
        self.json = json
    }
}

public enum LoadedModels {
    /// The model at `path` (a model.safetensors file, or a checkpoint directory holding one),
    /// loaded as its task makes it; with `quantize`, its weights quantized first (a model
    /// quantized in its file generates on int8 weights without being asked).
    public static func open(_ path: String, quantize: Quantization? = nil) throws -> any LoadedModel {
        let file = modelFile(path)
        var checkpoint = try read(file)
        if quantize == .int8 {
            if let what = checkpoint.notQuantizable { throw UsageFailure("--quantize does not apply to \(what) (\(file))") }
            checkpoint.quantize()
        }
        return try checkpoint.task.definition.load(checkpoint, file: file)
    }

    /// The checkpoint in the model file `file`.
    public static func read(_ file: String) throws -> CheckpointFile {
        guard FileManager.default.fileExists(atPath: file) else {
            throw CommandFailure("no checkpoint at \(file); train one with `lstmchat train`, or pass --checkpoint")
        }
        return try CheckpointFile.read(URL(fileURLWithPath: file))
    }

    /// The model of `path` when it is of the kind `want`; else one line saying what it is.
    public static func open<M: LoadedModel>(_ path: String, as want: M.Type, quantize: Quantization? = nil) throws -> M {
        let model = try open(path, quantize: quantize)
        guard let typed = model as? M else { throw CommandFailure(wrongTask(model.path, type(of: model).task, wanted: M.task)) }
        return typed
    }

    /// The model file at `path`: the file itself, or model.safetensors in the directory.
    public static func modelFile(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return (path as NSString).appendingPathComponent("model.safetensors")
        }
        return path
    }

    /// "model.safetensors: a text classifier, not a language model (ask, chat and eval label texts with it)".
    public static func wrongTask(_ file: String, _ task: ModelTask, wanted: ModelTask) -> String {
        "\(file): \(task.description), not \(wanted.description) (\(task.definition.uses))"
    }
}

/// An option given where it does not apply (to the task, or to a resumed run): `lstmchat`
/// exits with status 64, as for any usage error.
public struct UsageFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One JSON object on one line, keys sorted.
public func jsonLine(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}
