import ArgumentParser
import LSTMChat

/// The decoding flags `chat` and `ask` share; `chat` can change them later with slash commands.
struct DecodingOptions: ParsableArguments {
    @Flag(help: "Sample each token at random instead of taking the most likely one.")
    var sample = false

    @Option(help: ArgumentHelp("Sampling temperature, > 0: below 1 plays safe, above 1 takes chances. Implies --sample.", valueName: "t"))
    var temperature: Float?

    @Option(help: ArgumentHelp("Sample only among the k most likely tokens. Implies --sample.", valueName: "k"))
    var topK: Int?

    @Option(help: ArgumentHelp("Sample only among the most likely tokens that together have probability p (0 < p ≤ 1). Implies --sample.", valueName: "p"))
    var topP: Float?

    @Option(help: ArgumentHelp("Beam search, keeping the n most likely answers at each step.", valueName: "n"))
    var beam: Int?

    @Option(help: ArgumentHelp("The most tokens an answer may have.", valueName: "n"))
    var maxLength = DecodingSettings().maxLength

    @Option(help: ArgumentHelp("Seed for sampling, so that answers can be repeated. (default: random)", valueName: "n"))
    var seed: UInt64?

    @Flag(help: "Let answers contain the unknown-word token <unk>.")
    var allowUnknown = false

    @Option(help: ArgumentHelp("The most times in a row an answer may say the same 1 to 4 tokens (no stutter); 0: no limit.", valueName: "n"))
    var maxRepeats = DecodingSettings().maxRepeats

    @Option(help: ArgumentHelp("Forbid any n-gram of n tokens twice in an answer (OpenNMT's block_ngram_repeat); 0: off.", valueName: "n"))
    var blockNgramRepeat = DecodingSettings().blockNgramRepeat

    /// True when any decoding flag was given.
    var isGiven: Bool {
        samples || beam != nil || maxLength != DecodingSettings().maxLength || seed != nil
            || maxRepeats != DecodingSettings().maxRepeats || blockNgramRepeat != DecodingSettings().blockNgramRepeat
    }

    var samples: Bool { sample || temperature != nil || topK != nil || topP != nil }

    func validate() throws {
        if let temperature, let problem = SettingRule.temperature.problem(temperature) { throw ValidationError("--temperature: \(problem)") }
        if let topK, let problem = SettingRule.topK.problem(topK) { throw ValidationError("--top-k: \(problem)") }
        if let topP, let problem = SettingRule.topP.problem(topP) { throw ValidationError("--top-p: \(problem)") }
        if let beam, let problem = SettingRule.beamWidth.problem(beam) { throw ValidationError("--beam: \(problem)") }
        if let problem = SettingRule.maxLength.problem(maxLength) { throw ValidationError("--max-length: \(problem)") }
        if beam != nil && samples { throw ValidationError("--beam searches, --sample samples: choose one.") }
        if maxRepeats < 0 || blockNgramRepeat < 0 { throw ValidationError("--max-repeats and --block-ngram-repeat are 0 or more") }
    }

    /// The settings these flags ask for, with a random seed drawn now when none was given, so
    /// that it can be shown and used again.
    var settings: DecodingSettings {
        var settings = DecodingSettings()
        if samples { settings.strategy = .sample }
        if let beam {
            settings.strategy = .beam
            settings.beamWidth = beam
        }
        if let temperature { settings.temperature = temperature }
        if let topK { settings.topK = topK }
        if let topP { settings.topP = topP }
        settings.maxLength = maxLength
        settings.seed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        settings.allowUnknown = allowUnknown
        settings.maxRepeats = maxRepeats
        settings.blockNgramRepeat = blockNgramRepeat
        return settings
    }
}
