import Foundation

/// `path` with a leading `~` expanded as the shell does: `~` and `~/…` from `$HOME` when it is set
/// and not empty, else from the password database; `~user/…` from the password database.
/// (Foundation's `expandingTildeInPath` skips `$HOME` on Linux, so `HOME=/tmp/x lstmchat chat`
/// would write to the real home.)
public func expandingTilde(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    guard path.hasPrefix("~") else { return path }
    let rest = path.dropFirst()
    guard rest.isEmpty || rest.hasPrefix("/") else { return (path as NSString).expandingTildeInPath }
    if let home = environment["HOME"], !home.isEmpty { return home + rest }
    guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return path }
    return String(cString: directory) + rest
}
