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

    var samples: Bool { sample || temperature != nil || topK != nil || topP != nil }

    func validate() throws {
        if let temperature, let problem = SettingRule.temperature.problem(temperature) { throw ValidationError("--temperature: \(problem)") }
        if let topK, let problem = SettingRule.topK.problem(topK) { throw ValidationError("--top-k: \(problem)") }
        if let topP, let problem = SettingRule.topP.problem(topP) { throw ValidationError("--top-p: \(problem)") }
        if let beam, let problem = SettingRule.beamWidth.problem(beam) { throw ValidationError("--beam: \(problem)") }
        if let problem = SettingRule.maxLength.problem(maxLength) { throw ValidationError("--max-length: \(problem)") }
        if beam != nil && samples { throw ValidationError("--beam searches, --sample samples: choose one.") }
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
        return settings
    }
}

/// The valid values of each setting, with the words that explain them, shared by the flags and
/// the slash commands.
enum SettingRule {
    case temperature, topK, topP, beamWidth, maxLength, minConfidence, match

    var expected: String {
        switch self {
        case .temperature: "a number > 0"
        case .topK: "a whole number ≥ 0 (0: no limit)"
        case .topP: "a number > 0 and ≤ 1"
        case .beamWidth: "a whole number from 1 to 64"
        case .maxLength: "a whole number from 1 to 1000"
        case .minConfidence: "a number from 0 to 1"
        case .match: "a number > 0 and ≤ 1"
        }
    }

    func problem(_ value: Float) -> String? {
        let valid = switch self {
        case .temperature: value.isFinite && value > 0
        case .topP, .match: value > 0 && value <= 1
        case .minConfidence: value >= 0 && value <= 1
        default: false
        }
        return valid ? nil : "expected \(expected), got \(DecodingSettingsText.number(value))"
    }

    func problem(_ value: Int) -> String? {
        let valid = switch self {
        case .topK: value >= 0
        case .beamWidth: (1...64).contains(value)
        case .maxLength: (1...1000).contains(value)
        default: false
        }
        return valid ? nil : "expected \(expected), got \(value)"
    }
}

enum DecodingSettingsText {
    static func number(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : "\(value)"
    }
}
