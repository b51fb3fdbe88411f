import Foundation
import CLibFuzzer
import LSTMChat

/// The file every input is written to: the reader takes a path, as `chat --checkpoint` gives it.
private let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lstmchat-fuzz-checkpoint-\(getpid())")
private let file = scratch.appendingPathComponent("model.safetensors")

/// One input from libFuzzer (`make fuzz`), one `model.safetensors` of any task (seq2seq, lm,
/// classify; the seeds in Tests/LSTMChatTests/Fixtures/FuzzSeeds hold one of each). It must load
/// as a model its task can be built from, or be refused with a one-line `CheckpointError` naming
/// the file; anything else stops the run and libFuzzer keeps the input as `crash-…`.
/// (Exported under the name libFuzzer's runtime refers to, though its driver is handed the
/// function directly.)
@_cdecl("LLVMFuzzerTestOneInput")
func checkpointFuzzInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    do { try data.write(to: file) } catch { fatalError("cannot write \(file.path): \(error)") }
    do {
        let checkpoint = try CheckpointFile.read(file)
        let config = checkpoint.config, task = checkpoint.task.definition
        require(checkpoint.parameters.allFinite, "loaded non-finite weights")
        require(checkpoint.vocabulary.count == config.vocabSize, "vocabulary and weights disagree")
        require(checkpoint.parameters.layout == task.layout(config: config, labels: checkpoint.labels.count),
                "the weights are not the \(checkpoint.task) model's")
        require(task.hasLabels != checkpoint.labels.isEmpty, "labels on a model that has none, or none on one that has")
        require(checkpoint.knownQuestions.allSatisfy { $0.allSatisfy { $0 >= 0 && Int($0) < config.vocabSize } },
                "a known question outside the vocabulary")
        require(checkpoint.confidence?.threshold.isFinite ?? true, "a non-finite confidence threshold")
        // The vocabulary is checked when a model is loaded for use: refused or accepted, never a trap.
        _ = try? Vocabulary(tokens: checkpoint.vocabulary)
    } catch let error as CheckpointError {
        require(!error.description.contains("\n"), "error of more than one line: \(error)")
        require(error.file == file.path, "error that does not name the file: \(error)")
    } catch {
        fatalError("not a CheckpointError: \(error)")
    }
    return 0
}

/// The executable's main (SwiftPM's name for it): libFuzzer's driver with the function above.
@_cdecl("fuzz_checkpoint_main")
func fuzzCheckpointMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    do { try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true) } catch {
        fatalError("cannot create \(scratch.path): \(error)")
    }
    atexit { try? FileManager.default.removeItem(at: scratch) }
    return run_fuzzer(argc, argv, checkpointFuzzInput)
}

/// `precondition`, but with its message in an optimized build (which drops it; `fatalError`
/// keeps it): the message is what CI shows of a failed run.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
