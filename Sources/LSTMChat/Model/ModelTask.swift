/// What a model does; a checkpoint records it, and each command checks it.
public enum ModelTask: String, Codable, CaseIterable, Sendable {
    /// Answers questions: the encoder–decoder (`Seq2SeqModel`).
    case seq2seq
    /// Continues text: the language model (`LanguageModel`), trained with `train --task lm`.
    case languageModel = "lm"
    /// Labels texts: the classifier (`ClassifierModel`), trained with `train --task classify`.
    case classifier = "classify"

    /// The checkpoint's `format` metadata.
    public var format: String {
        switch self {
        case .seq2seq: "lstmchat-seq2seq/1"
        case .languageModel: "lstmchat-lm/1"
        case .classifier: "lstmchat-classifier/1"
        }
    }

    /// For messages: "a question-answering model".
    public var description: String {
        switch self {
        case .seq2seq: "a question-answering model"
        case .languageModel: "a language model"
        case .classifier: "a text classifier"
        }
    }

    /// The parameters of this task's model (`classes` counts for the classifier alone).
    public func layout(config: ModelConfig, classes: Int) -> ParameterLayout {
        switch self {
        case .seq2seq: config.seq2seqLayout
        case .languageModel: config.languageModelLayout
        case .classifier: ClassifierModel.layout(config: config, classes: classes)
        }
    }
}

import Foundation

extension CheckpointFile {
    /// The task of the model file at `url`, from its header alone; nil when the file cannot be
    /// read as a checkpoint (loading it properly then says why).
    public static func task(of url: URL) -> ModelTask? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return nil }
        let length = prefix.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(SafetensorsFile.maxHeaderBytes), let header = try? handle.read(upToCount: Int(length)),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any],
              let metadata = object["__metadata__"] as? [String: Any], let format = metadata["format"] as? String else { return nil }
        return ModelTask.allCases.first { $0.format == format }
    }
}
