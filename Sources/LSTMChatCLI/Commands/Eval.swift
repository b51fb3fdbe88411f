import ArgumentParser
import Foundation
import LSTMChat

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on question/answer pairs (or a language model on text, a classifier on labelled text).",
        discussion: """
            Reports the loss and perplexity of the reference answers, the share of distinct \
            questions whose greedy answer equals one of their reference answers (exact match, \
            after tokenizing: case and spacing around punctuation do not count), and the mean \
            best token F1. DATA is read as by `lstmchat train`.

            With --keywords FILE, also the share of FILE's questions whose greedy answer holds \
            their key words: FILE is a TSV of question<TAB>regular expression (case-insensitive, \
            matched anywhere in the answer), as datasets/chatterbot-english-reworded.tsv, which \
            asks the corpus's questions in other words. DATA may then be left out.

            With --unrelated FILE (questions nothing in the corpus answers, one a line, as \
            datasets/chatterbot-english-unrelated.txt), also the model's confidence: at the \
            threshold (--min-confidence, or the one stored in the model) the share of FILE's \
            questions given the fallback, and the share of --keywords and DATA questions answered \
            right that are still answered; how well each confidence signal separates unrelated \
            questions from those answered right (area under the ROC curve); a trade-off table; \
            and the threshold `lstmchat calibrate` would choose from these questions.

            Example:
              lstmchat eval --checkpoint checkpoints/default datasets/chatterbot-english
              lstmchat eval --keywords datasets/chatterbot-english-reworded.tsv --show
              lstmchat eval --unrelated datasets/chatterbot-english-unrelated.txt \\
                --keywords datasets/chatterbot-english-reworded.tsv datasets/chatterbot-english
            """)

    @OptionGroup var source: DataOptions

    @OptionGroup var model: CheckpointOption
    @OptionGroup var quantization: QuantizeOption

    @Option(help: "Longest greedy answer, in tokens, for the token F1 and the key words (exact match reads whole answers).")
    var maxLength = DecodingSettings().maxLength

    @Option(help: ArgumentHelp("Also score the questions of this TSV file (question<TAB>regular expression of the key words a right answer holds).", valueName: "file"))
    var keywords: String?

    @Flag(help: "With --keywords: print each question, its answer, and whether it holds the key words.")
    var show = false

    @Option(help: ArgumentHelp("Also report the confidence, with these questions unrelated to the corpus (one a line).", valueName: "file"))
    var unrelated: String?

    @Option(help: ArgumentHelp("With --unrelated: the threshold to judge. (default: the model's)", valueName: "c"))
    var minConfidence: Float?

    @Flag(help: "Print the figures as JSON.")
    var json = false

    @OptionGroup(title: "Questions in other words")
    var matching: MatchOptions

    func validate() throws {
        if !source.source.isGiven, keywords == nil, unrelated == nil {
            throw ValidationError("give the data: a file or directory, or --questions and --answers, or --keywords FILE, or --unrelated FILE")
        }
        if let minConfidence, let problem = SettingRule.minConfidence.problem(minConfidence) {
            throw ValidationError("--min-confidence: \(problem)")
        }
        if maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        let model = try model.open(quantization)
        var request = EvaluationRequest()
        request.data = source.source
        request.keywords = keywords
        request.unrelated = unrelated
        request.showAnswers = show
        request.maxLength = maxLength
        request.minConfidence = minConfidence
        request.matchThreshold = matching.threshold
        request.matchGiven = matching.isGiven
        let report = try model.evaluate(request)
        if json {
            let data = try JSONSerialization.data(withJSONObject: report.json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for line in report.lines { print(line) }
        }
    }
}
