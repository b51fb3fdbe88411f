import ArgumentParser
import LSTMChat

/// The data `eval` and `calibrate` read: DATA, or --questions with --answers.
struct DataOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The data, read as `train` reads it for the model's task.", valueName: "data"))
    var data: String?

    @Option(help: ArgumentHelp("Questions file, one per line (with --answers; question-answering models).", valueName: "file"))
    var questions: String?

    @Option(help: ArgumentHelp("Answers file, one per line, parallel to --questions.", valueName: "file"))
    var answers: String?

    @Option(help: "Data format when the extension does not say: tsv, parallel or yaml.")
    var format: String?

    func validate() throws {
        if (questions == nil) != (answers == nil) { throw ValidationError("--questions and --answers go together") }
        if data != nil, questions != nil { throw ValidationError("give DATA or --questions/--answers, not both") }
        if let format, DataFormat(rawValue: format) == nil { throw ValidationError("--format must be tsv, parallel or yaml") }
    }

    var source: DataSource { DataSource(data: data, questions: questions, answers: answers, format: format) }
}
