import Foundation

/// A question with the key words a right answer holds: a measure of answers to questions put in
/// other words than the training data's, where no exact answer can be asked for.
public struct KeywordQuestion: Sendable {
    public var question: String
    /// ICU regular expression, case-insensitive; an answer is right when it matches anywhere.
    public var pattern: String
    /// 1-based line in the file it was read from.
    public var line: Int
    private let regex: NSRegularExpression

    public init(question: String, pattern: String, line: Int) throws {
        self.question = question
        self.pattern = pattern
        self.line = line
        regex = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }

    /// True when the answer holds the key words.
    public func isAnswered(by answer: String) -> Bool {
        regex.firstMatch(in: answer, range: NSRange(answer.startIndex..., in: answer)) != nil
    }

    /// Reads a TSV file of `question<TAB>regular expression` lines; blank lines and lines
    /// starting with `#` are skipped. Every problem is a `DataError` naming the line.
    public static func read(_ path: String) throws -> [KeywordQuestion] {
        let file = try TextFile(path: path)
        var questions: [KeywordQuestion] = []
        for (index, line) in file.lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw DataError(file: path, line: index + 1, "\(fields.count - 1) tabs; a line is question<TAB>regular expression")
            }
            let question = fields[0].trimmingCharacters(in: .whitespaces)
            let pattern = fields[1].trimmingCharacters(in: .whitespaces)
            if question.isEmpty { throw DataError(file: path, line: index + 1, "empty question") }
            if pattern.isEmpty { throw DataError(file: path, line: index + 1, "empty regular expression") }
            do {
                questions.append(try KeywordQuestion(question: question, pattern: pattern, line: index + 1))
            } catch {
                throw DataError(file: path, line: index + 1, "not a regular expression: \(pattern)")
            }
        }
        guard !questions.isEmpty else { throw DataError(file: path, "no questions in it") }
        return questions
    }
}
