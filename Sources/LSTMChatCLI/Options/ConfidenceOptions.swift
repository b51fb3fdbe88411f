import ArgumentParser
import LSTMChat

/// The confidence flags `chat` and `ask` share; `chat` can change the threshold with /minconf.
struct ConfidenceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Give the fallback instead of an answer whose confidence (0–1) is below c; 0 answers \
        everything. (default: the threshold stored in the model, if any)
        """, valueName: "c"))
    var minConfidence: Float?

    @Option(help: ArgumentHelp("What to say when the confidence is below the threshold. (default: \(UseOptions.defaultFallback))", valueName: "text"))
    var fallback: String?

    func validate() throws {
        if let minConfidence, let problem = SettingRule.minConfidence.problem(minConfidence) {
            throw ValidationError("--min-confidence: \(problem)")
        }
        if let fallback, fallback.contains(where: \.isNewline) { throw ValidationError("--fallback: one line of text, without line breaks") }
    }

    var isGiven: Bool { minConfidence != nil || fallback != nil }
}
