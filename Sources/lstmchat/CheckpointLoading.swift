import Foundation
import LSTMChat

extension ChatModel {
    /// The bundled model, relative to the current directory (the package's root for `make chat`).
    static let defaultPath = "checkpoints/default/model.safetensors"

    /// What to do when there is no model, for the commands that start with one.
    static let missingHint = "train one with `lstmchat train`, or pass --checkpoint"

    /// Loads the model at `path`: a `model.safetensors` file, or a checkpoint directory holding
    /// one. `missingHint` ends the message when there is no such file.
    static func load(path: String, missingHint: String? = nil) throws -> ChatModel {
        var isDirectory: ObjCBool = false
        var file = path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("model.safetensors")
        }
        guard FileManager.default.fileExists(atPath: file) else {
            throw CommandFailure("no checkpoint at \(file)" + (missingHint.map { "; \($0)" } ?? ""))
        }
        do {
            return try read(file)
        } catch let error as CheckpointError {
            throw CommandFailure(error.description)
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure("\(file): \(error.localizedDescription)")
        }
    }

    private static func read(_ file: String) throws -> ChatModel {
        let checkpoint = try CheckpointFile.read(URL(fileURLWithPath: file))
        guard checkpoint.task == .seq2seq else { throw CommandFailure(TaskModels.wrongTask(file, checkpoint.task, wanted: .seq2seq)) }
        guard let kind = Tokenizer.Kind(rawValue: checkpoint.tokenizer) else {
            throw CommandFailure("\(file): unknown tokenizer \"\(Terminal.printable(checkpoint.tokenizer))\"")
        }
        let vocabulary: Vocabulary
        do {
            vocabulary = try Vocabulary(tokens: checkpoint.vocabulary)
        } catch let error as Vocabulary.InvalidTokens {
            throw CommandFailure("\(file): \(Terminal.printable(error.description))")
        }
        return ChatModel(network: Seq2SeqModel(config: checkpoint.config, parameters: checkpoint.parameters),
                         vocabulary: vocabulary, tokenizer: Tokenizer(kind: kind, normalizesQuestions: checkpoint.normalizesQuestions),
                         trainingSteps: checkpoint.training["steps"].flatMap { Int($0) }, confidence: checkpoint.confidence,
                         knownQuestions: checkpoint.knownQuestions.isEmpty ? nil : KnownQuestions(checkpoint.knownQuestions), path: file)
    }
}
