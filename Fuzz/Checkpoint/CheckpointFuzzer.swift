import Foundation
import CLibFuzzer
import LSTMChat

/// One input from libFuzzer (`make fuzz`), one checkpoint file. It must load as a
/// consistent model or be refused with a one-line `CheckpointError`; anything else stops the run
/// and libFuzzer keeps the input as `crash-…`. (Exported under the name libFuzzer's runtime
/// refers to, though its driver is handed the function directly.)
@_cdecl("LLVMFuzzerTestOneInput")
func checkpointFuzzInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    do {
        let checkpoint = try CheckpointFile.decode(data, file: "input")
        precondition(checkpoint.parameters.allFinite, "loaded non-finite weights")
        precondition(checkpoint.vocabulary.count == checkpoint.config.vocabSize, "vocabulary and weights disagree")
    } catch let error as CheckpointError {
        precondition(!error.description.contains("\n"), "error of more than one line: \(error)")
    } catch {
        preconditionFailure("not a CheckpointError: \(error)")
    }
    return 0
}

/// The executable's main (SwiftPM's name for it): libFuzzer's driver with the function above.
@_cdecl("fuzz_checkpoint_main")
func fuzzCheckpointMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    run_fuzzer(argc, argv, checkpointFuzzInput)
}
