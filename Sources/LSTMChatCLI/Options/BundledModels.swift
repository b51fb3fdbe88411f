import Foundation

/// The models that come with lstmchat (`make install` puts them in PREFIX/share/lstmchat), found
/// by name from any directory: `--checkpoint default` or `--checkpoint kjv-lm`.
enum BundledModels {
    static let defaultName = "default"
    static let languageModelName = "kjv-lm"

    /// The folders searched for a model named NAME, in order: `$LSTMCHAT_MODELS`, the install
    /// prefix's share folder (beside the binary's bin/), and `./checkpoints`.
    static func folders(environment: [String: String] = ProcessInfo.processInfo.environment,
                        executable: String = Self.executablePath) -> [String] {
        var folders: [String] = []
        if let models = environment["LSTMCHAT_MODELS"], !models.isEmpty { folders.append(models) }
        let prefix = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        folders.append(prefix.appendingPathComponent("share/lstmchat").path)
        folders.append("checkpoints")
        return folders
    }

    /// `path` itself when it exists or names a path (has a slash); else the first bundled
    /// model of that name, or `checkpoints/NAME/model.safetensors` (which then says it is missing).
    static func resolve(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                        executable: String = Self.executablePath) -> String {
        if FileManager.default.fileExists(atPath: path) || path.contains("/") { return path }
        let candidates = folders(environment: environment, executable: executable).map { $0 + "/" + path }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/model.safetensors") }
            ?? candidates.last! + "/model.safetensors"
    }

    /// This program's file (Linux: /proc/self/exe).
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
