import Foundation
import LSTMChat

/// A failure to show the user as one line.
struct ChatError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ChatModel {
    /// The bundled model, relative to the current directory (the package's root for `make chat`).
    static let defaultPath = "checkpoints/default/model.safetensors"

    /// Loads the model at `path`: a `model.safetensors` file, or a checkpoint directory holding one.
    static func load(path: String) throws -> ChatModel {
        var isDirectory: ObjCBool = false
        var file = path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("model.safetensors")
        }
        guard FileManager.default.fileExists(atPath: file) else {
            throw ChatError("no checkpoint at \(file); train one with `lstmchat train`, or pass --checkpoint")
        }
        return try read(file)
    }
}

extension ChatModel {
    /// Reads a checkpoint file. (Until the checkpoint layer lands: not available.)
    static func read(_ file: String) throws -> ChatModel {
        throw ChatError("\(file): reading checkpoints is not available yet")
    }
}
