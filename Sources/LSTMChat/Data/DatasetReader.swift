import Foundation

/// The file formats of question/answer corpora.
public enum DataFormat: String, CaseIterable, Sendable {
    /// One pair a line: `question<TAB>answer`; blank lines and lines starting with `#` are skipped;
    /// `\n`, `\r`, `\t` and `\\` in an answer stand for a line break, a carriage return, a tab, a backslash.
    case tsv
    /// `questions.txt` and `answers.txt`: line N of one answers line N of the other.
    case parallel
    /// A ChatterBot corpus: `categories:` and `conversations:`, a list of lists of messages.
    case yaml
}

/// Reads question/answer pairs from files and directories. Every problem is a `DataError`
/// naming the file and, where there is one, the line.
///
/// A directory is read as one corpus: every `.tsv`, `.yml` and `.yaml` file in it (not in its
/// subdirectories) in name order, then `questions.txt` + `answers.txt` if it holds them.
/// Files are UTF-8, with or without a byte-order mark, with LF or CRLF line ends; a TSV file is
/// read a line at a time and may be of any size, others are at most 256 MB (`TextFile.maximumBytes`).
public enum DatasetReader {
    public static func read(_ path: String, format: DataFormat? = nil) throws -> [QAPair] {
        var pairs: [QAPair] = []
        try forEachPair(path, format: format) { pairs.append($0) }
        return pairs
    }

    /// Each pair in turn, as `read` gives them, without holding them all: a TSV file is read a
    /// line at a time (so it may be of any size), other formats whole.
    public static func forEachPair(_ path: String, format: DataFormat? = nil, _ body: (QAPair) throws -> Void) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, "no such file or directory")
        }
        var count = 0
        let counted = { (pair: QAPair) in count += 1; try body(pair) }
        if isDirectory.boolValue {
            try readDirectory(path, format: format, counted)
        } else {
            try readFile(path, format: format ?? formatFromExtension(of: path), counted)
        }
        guard count > 0 else { throw DataError(file: path, "no question/answer pairs in it") }
    }

    /// Parallel files: line N of `answers` answers line N of `questions`.
    public static func read(questions: String, answers: String) throws -> [QAPair] {
        let questionLines = try TextFile(path: questions).lines
        let answerLines = try TextFile(path: answers).lines
        guard questionLines.count == answerLines.count else {
            throw DataError(file: answers, "has \(answerLines.count) lines but \(questions) has "
                            + "\(questionLines.count); line N of one must answer line N of the other")
        }
        var pairs: [QAPair] = []
        pairs.reserveCapacity(questionLines.count)
        for (index, (question, answer)) in zip(questionLines, answerLines).enumerated() {
            let question = question.trimmingCharacters(in: .whitespaces)
            let answer = answer.trimmingCharacters(in: .whitespaces)
            // An empty line would shift every later pair by one if it were skipped on one side only.
            if question.isEmpty { throw DataError(file: questions, line: index + 1, "empty line") }
            if answer.isEmpty { throw DataError(file: answers, line: index + 1, "empty line") }
            pairs.append(QAPair(question: question, answer: answer, file: questions, line: index + 1))
        }
        guard !pairs.isEmpty else { throw DataError(file: questions, "no question/answer pairs in it") }
        return pairs
    }

    // MARK: - Files

    static func formatFromExtension(of path: String) throws -> DataFormat {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "tsv": return .tsv
        case "yml", "yaml": return .yaml
        default: throw DataError(file: path, "cannot tell the format of \(path); use --format tsv|parallel|yaml")
        }
    }

    static func readFile(_ path: String, format: DataFormat, _ body: (QAPair) throws -> Void) throws {
        var count = 0
        switch format {
        case .tsv: try forEachTSVPair(path) { count += 1; try body($0) }
        case .yaml:
            let pairs = try ChatterBotCorpus.read(TextFile(path: path))
            count = pairs.count
            try pairs.forEach(body)
        case .parallel:
            throw DataError(file: path, "the parallel format reads a directory holding questions.txt and "
                            + "answers.txt (or give both files)")
        }
        // Even inside a directory: a file with nothing in it is most likely a mistake.
        guard count > 0 else { throw DataError(file: path, "no question/answer pairs in it") }
    }

    static func forEachTSVPair(_ path: String, _ body: (QAPair) throws -> Void) throws {
        try TextFile.forEachLine(path: path) { line, lineNumber in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                let problem = fields.count == 1
                    ? "no tab; a line is question<TAB>answer"
                    : "\(fields.count - 1) tabs; a line is question<TAB>answer with one tab"
                throw DataError(file: path, line: lineNumber, problem)
            }
            let question = fields[0].trimmingCharacters(in: .whitespaces)
            let answer = fields[1].trimmingCharacters(in: .whitespaces)
            if question.isEmpty { throw DataError(file: path, line: lineNumber, "empty question") }
            if answer.isEmpty { throw DataError(file: path, line: lineNumber, "empty answer") }
            // A multi-line answer is written on its line with `\n` (`TSVField`).
            try body(QAPair(question: question, answer: TSVField.unescaped(answer), file: path, line: lineNumber))
        }
    }

    // MARK: - Directories

    static func readDirectory(_ directory: String, format: DataFormat?, _ body: (QAPair) throws -> Void) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw DataError(file: directory, "cannot be listed: \(error.localizedDescription)")
        }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        func isFile(_ name: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path(name), isDirectory: &isDirectory) && !isDirectory.boolValue
        }

        var readAny = false
        for name in names where !name.hasPrefix(".") && isFile(name) {
            guard let fileFormat = try? formatFromExtension(of: name), format == nil || format == fileFormat else {
                continue
            }
            try readFile(path(name), format: fileFormat, body)
            readAny = true
        }
        if format == nil || format == .parallel {
            let hasQuestions = isFile("questions.txt"), hasAnswers = isFile("answers.txt")
            if hasQuestions && hasAnswers {
                try read(questions: path("questions.txt"), answers: path("answers.txt")).forEach(body)
                readAny = true
            } else if hasQuestions != hasAnswers {
                throw DataError(file: path(hasQuestions ? "questions.txt" : "answers.txt"),
                                "has no partner; parallel files are questions.txt and answers.txt together")
            }
        }
        guard readAny else {
            throw DataError(file: directory, "no .tsv, .yml or .yaml files and no questions.txt + answers.txt in it")
        }
    }
}
