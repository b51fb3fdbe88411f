import Foundation
import LSTMChat

/// A language model ready to write: the network, its vocabulary and tokenizer.
final class TextModel {
    let network: LanguageModel
    let vocabulary: Vocabulary
    let tokenizer: Tokenizer
    let path: String

    init(network: LanguageModel, vocabulary: Vocabulary, tokenizer: Tokenizer, path: String) {
        self.network = network
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.path = path
    }

    /// The id of the line-end token, when the training text had one.
    var newline: Int32? {
        let id = vocabulary.id(of: PlainTextReader.newline)
        return id == Vocabulary.unknown ? nil : id
    }

    /// A line of text as the model reads it (the tokens, without a line end).
    func encode(_ text: String) -> [Int32] { vocabulary.encode(tokenizer.tokenize(text)) }

    /// The text of generated ids: line ends as line ends, words joined as the tokenizer joins them.
    func text(of ids: [Int32]) -> String {
        let tokens = ids.map { vocabulary.tokens[Int($0)] }
        return tokens.split(separator: PlainTextReader.newline, omittingEmptySubsequences: false)
            .map { tokenizer.detokenize(Array($0)) }.joined(separator: "\n")
    }

    /// Marks written straight after the word before them, when words are streamed.
    static let noSpaceBefore: Set<String> = [",", ".", "!", "?", ";", ":", ")", "'"]

    func generator(_ settings: DecodingSettings) -> TextGenerator { TextGenerator(model: network, settings: settings) }

    /// Generates up to `length` tokens after `prompt`, handing each one's text to `emit` as
    /// it is drawn; stops early at a line end when `stopAtLineEnd`.
    func continueText(_ prompt: String, length: Int, settings: DecodingSettings, stopAtLineEnd: Bool,
                      emit: (String) -> Void) {
        continueText(prompt, length: length, generator: generator(settings), stopAtLineEnd: stopAtLineEnd, emit: emit)
    }

    /// The same with a generator of its own, whose sampling goes on from where it was (the
    /// state it read is forgotten first).
    func continueText(_ prompt: String, length: Int, generator: TextGenerator, stopAtLineEnd: Bool, emit: (String) -> Void) {
        generator.reset()
        generator.read(newline.map { [$0] } ?? [])  // a prompt starts a line
        generator.read(encode(prompt))
        var previousWasWord = false
        for _ in 0..<length {
            let id = generator.next(startingAfter: newline)
            if id == newline {
                if stopAtLineEnd { return }
                emit("\n"); previousWasWord = false
                continue
            }
            let token = vocabulary.tokens[Int(id)]
            // Words need a space between them; characters carry their own.
            if tokenizer.kind == .word {
                emit((previousWasWord && !Self.noSpaceBefore.contains(token) ? " " : "") + token)
                previousWasWord = true
            } else {
                emit(token)
            }
        }
    }
}

/// A text classifier ready to label: the network, its vocabulary, tokenizer and labels.
final class LabelModel {
    let network: ClassifierModel
    let vocabulary: Vocabulary
    let tokenizer: Tokenizer
    let labels: [String]
    let path: String

    /// Texts longer than this are cut to their first tokens, as in training.
    static let maxTokens = 200

    init(network: ClassifierModel, vocabulary: Vocabulary, tokenizer: Tokenizer, labels: [String], path: String) {
        self.network = network
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.labels = labels
        self.path = path
    }

    /// A text's ids; a text with no tokens reads as one `<unk>`.
    func encode(_ text: String) -> [Int32] {
        let ids = vocabulary.encode(Array(tokenizer.tokenize(text).prefix(Self.maxTokens)))
        return ids.isEmpty ? [Vocabulary.unknown] : ids
    }

    /// Each text's labels with their probabilities, most likely first.
    func classify(_ texts: [String]) -> [[(label: String, probability: Float)]] {
        var results: [[(label: String, probability: Float)]] = []
        for start in stride(from: 0, to: texts.count, by: 64) {
            let part = texts[start..<min(start + 64, texts.count)]
            let batch = ClassifierBatch(texts: part.map(encode), labels: [Int32](repeating: 0, count: part.count))
            for p in network.probabilities(batch) {
                results.append(zip(labels, p).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map { ($0.0, $0.1) })
            }
        }
        return results
    }
}

/// Loads what a checkpoint holds, for the commands that serve every task.
enum TaskModels {
    enum Loaded {
        case seq2seq
        case languageModel(TextModel)
        case classifier(LabelModel)
    }

    /// The model file at `path` (a file, or a directory holding model.safetensors).
    static func file(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return (path as NSString).appendingPathComponent("model.safetensors")
        }
        return path
    }

    /// The language model or classifier at `path`; `.seq2seq` (without loading it) when it is a
    /// question-answering model or cannot be read, which the seq2seq loader then reports.
    static func load(_ path: String) throws -> Loaded {
        let file = file(path)
        guard let task = CheckpointFile.task(of: URL(fileURLWithPath: file)), task != .seq2seq else { return .seq2seq }
        let checkpoint: CheckpointFile
        let vocabulary: Vocabulary, tokenizer: Tokenizer
        do {
            checkpoint = try CheckpointFile.read(URL(fileURLWithPath: file))
            (vocabulary, tokenizer) = try checkpoint.vocabularyAndTokenizer(file: file)
        } catch let error as CheckpointError {
            throw CommandFailure(error.description)
        }
        switch checkpoint.task {
        case .seq2seq: return .seq2seq
        case .languageModel:
            return .languageModel(TextModel(network: LanguageModel(config: checkpoint.config, parameters: checkpoint.parameters),
                                            vocabulary: vocabulary, tokenizer: tokenizer, path: file))
        case .classifier:
            let network = ClassifierModel(config: checkpoint.config, classes: checkpoint.labels.count, parameters: checkpoint.parameters)
            return .classifier(LabelModel(network: network, vocabulary: vocabulary, tokenizer: tokenizer, labels: checkpoint.labels, path: file))
        }
    }

    /// "model.safetensors: a text classifier, not a language model; …what to do with it".
    static func wrongTask(_ file: String, _ task: ModelTask, wanted: ModelTask) -> String {
        let use = switch task {
        case .seq2seq: "chat, ask and eval answer with it"
        case .languageModel: "generate writes with it; chat, ask and eval take it too"
        case .classifier: "ask, chat and eval label texts with it"
        }
        return "\(file): \(task.description), not \(wanted.description) (\(use))"
    }
}
