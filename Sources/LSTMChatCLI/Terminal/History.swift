import Foundation
import LSTMChat

/// Where chat keeps the lines typed: `$XDG_STATE_HOME/lstmchat/history`, or
/// `~/.local/state/lstmchat/history` without it (the XDG base directory specification). The
/// file of earlier versions, `~/.lstmchat_history`, is read once: copied there when there is
/// no history yet.
enum History {
    static func defaultFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? expandingTilde("~/.local/state", environment: environment)
        let directory = state + "/lstmchat", file = directory + "/history"
        let files = FileManager.default
        if !files.fileExists(atPath: file) {
            try? files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let old = expandingTilde("~/.lstmchat_history", environment: environment)
            if files.fileExists(atPath: old) { try? files.copyItem(atPath: old, toPath: file) }
        }
        return file
    }
}
