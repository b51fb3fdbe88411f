
/// A line of the chat that starts with "/": a command to the REPL rather than a question.
public enum SlashCommand: Equatable, Sendable {
    case help, quit, settings
    case greedy, sample
    case temperature(Float), topK(Int), topP(Float), beam(Int?), maxLength(Int), seed(UInt64)
    /// nil: back to the model's own threshold.
    case minConfidence(Float?)
    /// nil: ask questions as typed.
    case match(Float?)
    case load(String)

    /// Every command with its argument and what it does, as /help shows them.
    public static let commands: [(name: String, argument: String, meaning: String)] = [
        ("/help", "", "show this list"),
        ("/quit", "", "leave (so does Ctrl-D)"),
        ("/greedy", "", "answer with the most likely token at every step"),
        ("/sample", "", "sample each token at random"),
        ("/temp", "X", "sampling temperature, > 0 (turns sampling on)"),
        ("/topk", "K", "sample among the K most likely tokens, 0 for all (turns sampling on)"),
        ("/topp", "P", "sample among the likeliest tokens with total probability P (turns sampling on)"),
        ("/beam", "[N]", "beam search, N beams wide"),
        ("/maxlen", "N", "the most tokens an answer may have"),
        ("/seed", "N", "restart sampling from seed N"),
        ("/minconf", "[C]", "say the fallback when the confidence is below C (0: never); alone: the model's threshold"),
        ("/match", "S|off", "ask a question it was not trained on as the nearest one it was, if at least S similar"),
        ("/settings", "", "show the decoding and confidence settings"),
        ("/load", "PATH", "answer with another checkpoint"),
    ]

    public static var names: [String] { commands.map(\.name) }

    public static var helpText: String { helpText(commands) }

    /// A list of commands as /help shows them: usage, then meaning, in two columns.
    public static func helpText(_ commands: [(name: String, argument: String, meaning: String)]) -> String {
        let width = commands.map { $0.name.count + ($0.argument.isEmpty ? 0 : $0.argument.count + 1) }.max()!
        return commands.map { command in
            let usage = command.argument.isEmpty ? command.name : "\(command.name) \(command.argument)"
            return "  " + usage.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.meaning
        }.joined(separator: "\n")
    }

    /// The command on `line` (which starts with "/"), or the one line that says what is wrong.
    public static func parse(_ line: String) -> Result<SlashCommand, CommandFailure> {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        let name = words.first ?? "/", arguments = Array(words.dropFirst())
        let argument = arguments.joined(separator: " ")

        func noArgument(_ command: SlashCommand) -> Result<SlashCommand, CommandFailure> {
            arguments.isEmpty ? .success(command) : .failure(CommandFailure("\(name): takes no argument"))
        }
        func number<T: LosslessStringConvertible>(expected: String, _ make: (T) -> SlashCommand,
                                                  check: (T) -> String?) -> Result<SlashCommand, CommandFailure> {
            guard !arguments.isEmpty else { return .failure(CommandFailure("\(name): expected \(expected)")) }
            guard arguments.count == 1, let value = T(argument) else {
                return .failure(CommandFailure("\(name): expected \(expected), got \"\(Terminal.printable(argument))\""))
            }
            if let problem = check(value) { return .failure(CommandFailure("\(name): \(problem)")) }
            return .success(make(value))
        }

        switch name {
        case "/help", "/?": return noArgument(.help)
        case "/quit", "/exit": return noArgument(.quit)
        case "/settings": return noArgument(.settings)
        case "/greedy": return noArgument(.greedy)
        case "/sample": return noArgument(.sample)
        case "/temp", "/temperature":
            return number(expected: SettingRule.temperature.expected, SlashCommand.temperature) { SettingRule.temperature.problem($0) }
        case "/topk":
            return number(expected: SettingRule.topK.expected, SlashCommand.topK) { SettingRule.topK.problem($0) }
        case "/topp":
            return number(expected: SettingRule.topP.expected, SlashCommand.topP) { SettingRule.topP.problem($0) }
        case "/beam":
            if arguments.isEmpty { return .success(.beam(nil)) }
            return number(expected: SettingRule.beamWidth.expected, { SlashCommand.beam($0) }) { SettingRule.beamWidth.problem($0) }
        case "/maxlen":
            return number(expected: SettingRule.maxLength.expected, SlashCommand.maxLength) { SettingRule.maxLength.problem($0) }
        case "/seed":
            return number(expected: "a whole number ≥ 0", SlashCommand.seed) { (_: UInt64) in nil }
        case "/minconf":
            if arguments.isEmpty { return .success(.minConfidence(nil)) }
            return number(expected: SettingRule.minConfidence.expected, { SlashCommand.minConfidence($0) }) { SettingRule.minConfidence.problem($0) }
        case "/match":
            if argument == "off" { return .success(.match(nil)) }
            return number(expected: SettingRule.match.expected + " or off", { SlashCommand.match($0) }) { SettingRule.match.problem($0) }
        case "/load":
            guard !argument.isEmpty else { return .failure(CommandFailure("/load: expected the path of a checkpoint")) }
            return .success(.load(argument))
        default:
            return .failure(CommandFailure("unknown command \(Terminal.printable(name)); type /help for the list"))
        }
    }

    /// Applies a setting command to `settings`; false for the commands that are not settings.
    public func apply(to settings: inout DecodingSettings) -> Bool {
        switch self {
        case .greedy: settings.strategy = .greedy
        case .sample: settings.strategy = .sample
        case .temperature(let t): settings.strategy = .sample; settings.temperature = t
        case .topK(let k): settings.strategy = .sample; settings.topK = k
        case .topP(let p): settings.strategy = .sample; settings.topP = p
        case .beam(let width): settings.strategy = .beam; if let width { settings.beamWidth = width }
        case .maxLength(let n): settings.maxLength = n
        case .seed(let seed): settings.seed = seed
        case .help, .quit, .settings, .load, .minConfidence, .match: return false
        }
        return true
    }
}
