/// One question and its answer, with where it was read so errors and reports can point at it.
public struct QAPair: Equatable, Sendable {
    public var question: String
    public var answer: String
    public var file: String
    /// 1-based line of the question in `file`.
    public var line: Int

    public init(question: String, answer: String, file: String, line: Int) {
        self.question = question
        self.answer = answer
        self.file = file
        self.line = line
    }
}

/// A problem with a data file, shown as one line `FILE:LINE: problem` (or `FILE: problem`)
/// in the form compilers use, so editors and terminals can jump to it.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int?
    public let problem: String

    public init(file: String, line: Int? = nil, _ problem: String) {
        self.file = file
        self.line = line
        // One line always: some problems quote library messages that span several.
        self.problem = problem.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String {
        if let line { return "\(file):\(line): \(problem)" }
        return "\(file): \(problem)"
    }
}
