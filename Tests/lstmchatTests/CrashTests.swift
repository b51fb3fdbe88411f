import Foundation
import LSTMChat
import Testing

/// Training killed at random moments (SIGKILL: no chance to clean up), then resumed, again and
/// again: every time the directory must hold a model that loads and a state that resumes, and
/// in the end the run must have the same loss log and weights as one never interrupted.
@Suite(.serialized) struct CrashTests {
    static let flags = TrainTests.quick + ["--epochs", "150", "--val-fraction", "0.2", "--layers", "2", "--hidden", "48"]

    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = LSTMChatBinary.url
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func killedTrainingAlwaysLeavesARunThatResumes() throws {
        let dir = try TemporaryDirectory()
        let straight = dir.url.appendingPathComponent("straight"), killed = dir.url.appendingPathComponent("killed")
        #expect(try LSTMChatBinary.run(["train", TrainTests.small, "--out", straight.path] + Self.flags).status == 0)

        let directory = CheckpointDirectory(killed)
        var rng = Xoshiro256(seed: 99)
        var kills = 0, resumes = 0, finished = false
        // Resume once a kill has left a run behind; until then (a kill before the first save) start over.
        var arguments: [String] {
            directory.holdsRun ? ["train", "--resume", killed.path, "--quiet"] : ["train", TrainTests.small, "--out", killed.path] + Self.flags
        }
        while kills < 12 && !finished {
            if directory.holdsRun { resumes += 1 }
            let process = try Self.start(arguments)
            usleep(UInt32(20_000 + rng.next() % 300_000))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            finished = process.terminationReason == .exit && process.terminationStatus == 0
            if process.terminationReason == .exit && !finished {
                Issue.record("a run failed with status \(process.terminationStatus)")
                break
            }
            if directory.holdsRun {
                // Whatever the moment of the kill: both files read back whole and agree.
                let model = try CheckpointFile.read(directory.model)
                _ = try TrainingStateFile.read(directory.state, layout: model.parameters.layout)
            }
        }
        if !finished {
            finished = try LSTMChatBinary.run(arguments).status == 0
        }
        #expect(finished)
        #expect(kills >= 10, "only \(kills) kills landed")
        #expect(try TrainTests.figures(killed.appendingPathComponent("loss.csv")) == TrainTests.figures(straight.appendingPathComponent("loss.csv")))
        let a = try CheckpointFile.read(straight.appendingPathComponent("model.safetensors"))
        let b = try CheckpointFile.read(directory.model)
        #expect(a.parameters.values.array.map(\.bitPattern) == b.parameters.values.array.map(\.bitPattern))
        // The temporary files of killed writes are cleared by the next run.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: killed.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
        print("crash test: \(kills) runs killed with SIGKILL (\(resumes) of them resumed runs), the run finished as if never killed")
    }

    @Test func sigtermSavesLikeCtrlC() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run")
        let process = try Self.start(["train", TrainTests.small, "--out", out.path, "--epochs", "1000"] + TrainTests.quick)
        let state = out.appendingPathComponent("training.safetensors")
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: state.path) { usleep(50_000) }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try LSTMChatBinary.run(["train", "--resume", out.path, "--epochs", "2", "--quiet"]).status == 0)
    }
}
