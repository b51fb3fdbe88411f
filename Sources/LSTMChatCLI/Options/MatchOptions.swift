import ArgumentParser
import LSTMChat

/// How a question the model was not trained on is asked (`KnownQuestions`): as the nearest
/// question it was trained on, when their words are similar enough; `chat` changes it with /match.
struct MatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Ask a question the model was not trained on as the most similar one it was, when their \
        words are at least s similar (0 < s ≤ 1, rare words counting most). (default: 0.44)
        """, valueName: "s"))
    var match: Float?

    @Flag(help: "Ask every question as typed, never as a question the model knows.")
    var noMatch = false

    func validate() throws {
        if let match, let problem = SettingRule.match.problem(match) { throw ValidationError("--match: \(problem)") }
        if noMatch && match != nil { throw ValidationError("--match and --no-match cannot go together") }
    }

    var isGiven: Bool { match != nil || noMatch }

    /// The threshold to use: nil turns matching off.
    var threshold: Float? { noMatch ? nil : match ?? QuestionMatcher.defaultThreshold }
}
