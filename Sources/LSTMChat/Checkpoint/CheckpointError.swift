/// Why a checkpoint file could not be read or written: one line naming the file.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String

    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = Self.printable(problem)
    }

    public var description: String { "\(file): \(problem)" }

    /// Names in a hostile file may hold newlines, escapes or megabytes: keep the message one
    /// short line whatever they hold.
    static func printable(_ text: String, limit: Int = 300) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.unicodeScalars.count >= limit { return out + "…" }
            out += scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return out
    }
}
