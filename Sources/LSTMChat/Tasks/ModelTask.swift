/// The tasks lstmchat trains, by the name `train --task` and a checkpoint's format give them.
/// This is the one place where tasks are listed: everything else about a task is its
/// `TaskDefinition`, in a folder of its own under Tasks/.
public enum ModelTask: String, Codable, CaseIterable, Sendable {
    /// Answers questions: the encoder–decoder with attention (Tasks/Seq2Seq).
    case seq2seq
    /// Continues text: the character (or word) language model (Tasks/LanguageModel).
    case languageModel = "lm"
    /// Labels texts: the classifier (Tasks/Classifier).
    case classifier = "classify"

    /// What `train` trains without --task.
    public static let `default` = ModelTask.seq2seq

    public var definition: any TaskDefinition.Type {
        switch self {
        case .seq2seq: Seq2SeqTask.self
        case .languageModel: LanguageModelTask.self
        case .classifier: ClassifierTask.self
        }
    }

    /// The checkpoint's `format` metadata: "lstmchat-seq2seq/1".
    public var format: String { definition.format }

    /// For messages: "a question-answering model".
    public var description: String { definition.description }

    /// The task a checkpoint's format names.
    public init?(format: String) {
        guard let task = Self.allCases.first(where: { $0.format == format }) else { return nil }
        self = task
    }
}
