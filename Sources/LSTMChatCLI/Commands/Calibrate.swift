import ArgumentParser
import Foundation
import LSTMChat

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose a model's default confidence threshold from questions, and store it in the model.",
        discussion: """
            Puts three sets of questions to the model: unrelated ones (--unrelated, one a line: \
            nothing in the corpus answers them), reworded corpus questions (--keywords, a TSV of \
            question<TAB>regular expression of a right answer's key words) and the corpus's own \
            (DATA, read as by `lstmchat train`). The threshold chosen is the one that gives the \
            fallback to the most unrelated questions while keeping \(Int(100 * ConfidenceCalibration.corpusKept))% of the corpus \
            questions the model answers right and losing at most \(Int(ConfidenceCalibration.rewordedPointsLost)) points of right answers \
            on the reworded ones. `lstmchat train` does the same at the end of a run.

            DATA (the corpus) defaults to the data the model was trained on, and --unrelated and --keywords to \
            the files beside it named DATA-unrelated.txt and DATA-reworded.tsv (as \
            datasets/chatterbot-english-unrelated.txt and datasets/chatterbot-english-reworded.tsv).

            Example:
              lstmchat calibrate --checkpoint checkpoints/default
            """)

    @OptionGroup var corpus: DataOptions

    @OptionGroup var model: CheckpointOption

    @Option(help: ArgumentHelp("Questions unrelated to the corpus, one a line. (default: DATA-unrelated.txt)", valueName: "file"))
    var unrelated: String?

    @Option(help: ArgumentHelp("Reworded corpus questions: question<TAB>regular expression. (default: DATA-reworded.tsv)", valueName: "file"))
    var keywords: String?

    @Flag(help: "Report the threshold without storing it.")
    var dryRun = false

    func run() throws {
        let model = try LoadedModels.open(self.model.file, as: ChatModel.self)
        var file = try CheckpointFile.read(URL(fileURLWithPath: model.path))
        let given = corpus.source
        let data = given.isGiven ? given : Self.trainingData(file)
        guard let data else { throw CommandFailure("\(model.path): no record of its training data; give DATA") }
        let companions = CalibrationSets.companions(of: data.data)
        guard let unrelatedFile = unrelated ?? companions.unrelated else {
            throw CommandFailure("no unrelated questions to choose a threshold from: give --unrelated FILE")
        }
        let sets = try CalibrationSets.read(unrelated: unrelatedFile, reworded: keywords ?? companions.reworded, corpus: data.pairs())
        let scores = sets.score(model)
        guard let threshold = scores.chooseThreshold() else {
            throw CommandFailure("no threshold refuses an unrelated question within the limits; nothing stored")
        }
        print("min confidence \(ConfidenceReport.number(threshold)): \(ConfidenceReport.line(scores.tradeoff(at: threshold), scores))")
        guard !dryRun else { return }
        file.confidence = ConfidenceThreshold(threshold: threshold)
        try file.write(to: URL(fileURLWithPath: model.path))
        print("stored in \(model.path)")
    }

    /// The data the model was trained on, from the recipe in its metadata (older runs wrote the
    /// data's fields at the recipe's top level).
    static func trainingData(_ file: CheckpointFile) -> DataSource? {
        if let recipe = Recipe(json: file.training["recipe"]) { return recipe.data }
        guard let text = file.training["recipe"],
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        let fields = object["source"] as? [String: Any] ?? object
        let source = DataSource(data: fields["data"] as? String, questions: fields["questions"] as? String,
                                answers: fields["answers"] as? String, format: fields["format"] as? String)
        return source.data != nil || (source.questions != nil && source.answers != nil) ? source : nil
    }
}
