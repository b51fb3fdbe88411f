import LSTMChat
import Testing
@testable import LSTMChatCLI

@Suite struct SlashCommandTests {
    @Test("commands parse", arguments: [
        ("/help", SlashCommand.help), ("/quit", .quit), ("/settings", .settings), ("/greedy", .greedy), ("/sample", .sample),
        ("/temp 0.5", .temperature(0.5)), ("/topk 40", .topK(40)), ("/topp 0.9", .topP(0.9)), ("/beam", .beam(nil)),
        ("/beam 8", .beam(8)), ("/maxlen 12", .maxLength(12)), ("/seed 42", .seed(42)),
        ("/load runs/small", .load("runs/small")), ("/temp   2  ", .temperature(2)),
        ("/minconf 0.2", .minConfidence(0.2)), ("/minconf 0", .minConfidence(0)), ("/minconf", .minConfidence(nil)),
        ("/match 0.7", .match(0.7)), ("/match 1", .match(1)), ("/match off", .match(nil)),
    ])
    func parses(line: String, command: SlashCommand) throws {
        #expect(try SlashCommand.parse(line).get() == command)
    }

    @Test("bad commands explain themselves in one line", arguments: [
        ("/temp abc", "/temp: expected a number > 0, got \"abc\""),
        ("/temp", "/temp: expected a number > 0"),
        ("/temp 0", "/temp: expected a number > 0, got 0"),
        ("/temp -1", "/temp: expected a number > 0, got -1"),
        ("/temp nan", "/temp: expected a number > 0, got nan"),
        ("/topk -3", "/topk: expected a whole number ≥ 0 (0: no limit), got -3"),
        ("/topk 2.5", "/topk: expected a whole number ≥ 0 (0: no limit), got \"2.5\""),
        ("/topp 1.5", "/topp: expected a number > 0 and ≤ 1, got 1.5"),
        ("/beam 0", "/beam: expected a whole number from 1 to 64, got 0"),
        ("/maxlen 99999999999999999999", "/maxlen: expected a whole number from 1 to 1000, got \"99999999999999999999\""),
        ("/seed -1", "/seed: expected a whole number ≥ 0, got \"-1\""),
        ("/quit now", "/quit: takes no argument"),
        ("/minconf 1.5", "/minconf: expected a number from 0 to 1, got 1.5"),
        ("/match 0", "/match: expected a number > 0 and ≤ 1, got 0"),
        ("/match", "/match: expected a number > 0 and ≤ 1 or off"),
        ("/minconf high", "/minconf: expected a number from 0 to 1, got \"high\""),
        ("/load", "/load: expected the path of a checkpoint"),
        ("/frobnicate", "unknown command /frobnicate; type /help for the list"),
        ("/\u{1}", "unknown command /\\u{1}; type /help for the list"),
    ])
    func rejects(line: String, message: String) {
        #expect(throws: CommandFailure.self) { try SlashCommand.parse(line).get() }
        if case .failure(let error) = SlashCommand.parse(line) {
            #expect(error.description == message)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func samplingSettingsTurnSamplingOn() {
        var settings = DecodingSettings()
        #expect(SlashCommand.temperature(0.5).apply(to: &settings))
        #expect(settings.strategy == .sample && settings.temperature == 0.5)
        #expect(SlashCommand.beam(nil).apply(to: &settings))
        #expect(settings.strategy == .beam && settings.beamWidth == DecodingSettings().beamWidth)
        #expect(!SlashCommand.settings.apply(to: &settings))
    }

    @Test func helpListsEveryCommandOnALineOfItsOwn() {
        let lines = SlashCommand.helpText.split(separator: "\n")
        #expect(lines.count == SlashCommand.commands.count)
        for (line, name) in zip(lines, SlashCommand.names) { #expect(line.hasPrefix("  \(name)")) }
    }
}
