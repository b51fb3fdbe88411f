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
        var kills = 0, resumes = 0, midWrite = 0, finished = false
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
            if !directory.unfinishedWrites.isEmpty { midWrite += 1 }
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
        #expect(directory.unfinishedWrites.isEmpty)
        print("crash test: \(kills) runs killed with SIGKILL (\(resumes) of them resumed runs, \(midWrite) in the middle of a write),"
              + " the run finished as if never killed")
    }

    /// Killed in the middle of writing a checkpoint, caught by watching for the write's temporary
    /// file: the files from the save before are whole, and the run resumes and finishes.
    @Test func killedWhileWritingACheckpointKeepsTheOneBefore() throws {
        let dir = try TemporaryDirectory()
        let run = dir.url.appendingPathComponent("run")
        let directory = CheckpointDirectory(run)
        // A model big enough (1.6M parameters: a 19 MB training state) that a save takes a while.
        let flags = TrainTests.quick + ["--hidden", "256", "--embed", "128", "--layers", "2", "--val-fraction", "0.2"]
        #expect(try LSTMChatBinary.run(["train", TrainTests.small, "--out", run.path, "--epochs", "1"] + flags).status == 0)

        var caught = 0
        for _ in 0..<20 where caught < 3 {
            let files = [directory.state, directory.model, directory.best]
            let before = try files.map { try Data(contentsOf: $0) }
            let process = try Self.start(["train", "--resume", run.path, "--epochs", "1000", "--quiet"])
            // Its own writes only: the files a kill before left are there until it clears them.
            let writes = files.map { AtomicFile.temporaryURL(for: $0, process: process.processIdentifier) }
            func cut() -> [Int] { writes.indices.filter { FileManager.default.fileExists(atPath: writes[$0].path) } }
            while process.isRunning && cut().isEmpty { usleep(200) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let unfinished = cut()
            guard process.terminationReason == .uncaughtSignal, !unfinished.isEmpty else { continue }
            caught += 1
            // The file being written is byte for byte the one before; the others are whole, and
            // the state fits the model.
            for i in unfinished {
                #expect(try Data(contentsOf: files[i]) == before[i], "\(files[i].lastPathComponent) changed")
            }
            let model = try CheckpointFile.read(directory.model)
            _ = try CheckpointFile.read(directory.best)
            _ = try TrainingStateFile.read(directory.state, layout: model.parameters.layout)
        }
        #expect(caught == 3, "caught \(caught) kills in the middle of a write")
        let model = try CheckpointFile.read(directory.model)
        let epochsDone = try TrainingStateFile.read(directory.state, layout: model.parameters.layout).progress.epoch
        let resumed = try LSTMChatBinary.run(["train", "--resume", run.path, "--epochs", "\(epochsDone + 1)", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(directory.unfinishedWrites.isEmpty)
    }

    @Test func sigtermSavesLikeCtrlC() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run")
        let process = try Self.start(["train", TrainTests.small, "--out", out.path, "--epochs", "1000"] + TrainTests.quick)
        let state = out.appendingPathComponent("training.safetensors")
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: state.path) { usleep(50_000) }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)  // 128 + SIGTERM, as a shell reports it
        #expect(try LSTMChatBinary.run(["train", "--resume", out.path, "--epochs", "2", "--quiet"]).status == 0)
    }
}
