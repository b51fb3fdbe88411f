import ArgumentParser
import Foundation
import LSTMChat

/// Where question/answer pairs come from: DATA, or --questions with --answers (`train`, `eval`).
struct DataOptions: ParsableArguments {
    @Argument(help: "Question/answer data: a .tsv or .yml file, or a directory of them.")
    var data: String?

    @Option(help: ArgumentHelp("Questions file, one per line (with --answers).", valueName: "file"))
    var questions: String?

    @Option(help: ArgumentHelp("Answers file, one per line, parallel to --questions.", valueName: "file"))
    var answers: String?

    @Option(help: "Data format when the extension does not say: tsv, parallel or yaml.")
    var format: String?

    var isGiven: Bool { data != nil || questions != nil }

    func validate() throws {
        if (questions == nil) != (answers == nil) { throw ValidationError("--questions and --answers go together") }
        if data != nil, questions != nil { throw ValidationError("give DATA or --questions/--answers, not both") }
        if let format, DataFormat(rawValue: format) == nil { throw ValidationError("--format must be tsv, parallel or yaml") }
    }

    var dataSource: DataSource { DataSource(data: data, questions: questions, answers: answers, format: format) }
}

/// The data options as plain values, stored in a run's training state so --resume reads the
/// same data.
struct DataSource: Codable {
    var data, questions, answers, format: String?

    /// A name for a run on this data: the file's name without its extension.
    var name: String { URL(fileURLWithPath: data ?? questions ?? "run").deletingPathExtension().lastPathComponent }

    func read() throws -> [QAPair] {
        if let questions, let answers { return try DatasetReader.read(questions: questions, answers: answers) }
        return try DatasetReader.read(data!, format: format.flatMap(DataFormat.init(rawValue:)))
    }
}
