import ArgumentParser
import LSTMChat

@main
struct LSTMChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstmchat",
        abstract: "Train a sequence-to-sequence LSTM on questions and answers, then chat with it.",
        version: LSTMChatVersion.description,
        subcommands: [Chat.self, Ask.self, Plot.self]
    )

    static func main() {
        BLASCoreType.restartWithFastKernelsIfNeeded()
        main(nil)
    }
}
