import ArgumentParser
import Foundation
import LSTMChat

@main
struct LSTMChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstmchat",
        abstract: "Train a sequence-to-sequence LSTM on questions and answers, then chat with it.",
        discussion: """
            The same program trains the two other classic LSTM programs: a character-level \
            language model that writes text in a text's style (train --task lm, then generate or \
            chat), and a text classifier (train --task classify, then ask, chat or eval).
            """,
        version: LSTMChatVersion.description,
        subcommands: [Train.self, Chat.self, Ask.self, Serve.self, Generate.self, Eval.self, Calibrate.self, Quantize.self, Plot.self, Bench.self, Tokenize.self, Logits.self]
    )

    static func main() {
        // Help and completion scripts compute nothing: no BLAS core choice for them; --version
        // reports the choice but measures nothing.
        let arguments = CommandLine.arguments.dropFirst()
        let help: Set = ["--help", "-h", "--generate-completion-script", "--experimental-dump-help"]
        if !arguments.contains(where: help.contains), arguments.first != "help" {
            BLASCoreType.startUp(measuring: !arguments.contains("--version"))
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UsageFailure {
            // A flag that does not apply: one line, and the status of a usage error (EX_USAGE).
            FileHandle.standardError.write(Data("lstmchat: \(error.description)\n".utf8))
            Foundation.exit(64)
        } catch let error as UserFacingError {
            // Problems with the user's files: one line, like any Unix tool, and status 1.
            FileHandle.standardError.write(Data("lstmchat: \(error)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// Errors about the user's data, files and runs, printed as `lstmchat: <description>`.
protocol UserFacingError: Error, CustomStringConvertible {}

extension CommandFailure: UserFacingError {}
extension DataError: UserFacingError {}
extension CheckpointError: UserFacingError {}
extension LossLogError: UserFacingError {}
extension DirectoryLock.Failure: UserFacingError {}
extension TrainingError: UserFacingError {}
extension Vocabulary.InvalidTokens: UserFacingError {}
