import Foundation

/// A file of questions, one a line (blank lines and lines starting with `#` skipped), as
/// `datasets/chatterbot-english-unrelated.txt`: questions with no answer in a corpus.
public enum QuestionList {
    public static func read(_ path: String) throws -> [String] {
        let questions = try TextFile(path: path).lines
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !questions.isEmpty else { throw DataError(file: path, "no questions in it") }
        return questions
    }
}
