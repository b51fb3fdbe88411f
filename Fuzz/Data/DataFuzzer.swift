import Foundation
import CLibFuzzer
import LSTMChat

/// A scratch file per process: the readers take paths, as the CLI gives them.
private let scratch = FileManager.default.temporaryDirectory
    .appendingPathComponent("lstmchat-fuzz-\(getpid())")

/// One input from libFuzzer (`make fuzz`), read as a TSV file and as a ChatterBot YAML
/// file, by the readers of every task. Each read must give non-empty pairs or a one-line `DataError`; anything else stops the
/// run and libFuzzer keeps the input as `crash-…`. (Exported under the name libFuzzer's runtime
/// refers to, though its driver is handed the function directly.)
@_cdecl("LLVMFuzzerTestOneInput")
func dataFuzzInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    try! FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    for name in ["input.tsv", "input.yml"] {
        let file = scratch.appendingPathComponent(name)
        try! data.write(to: file)
        // Question/answer pairs, labelled texts (classifier), plain text (language model).
        let readers: [() throws -> Void] = [
            { precondition(try DatasetReader.read(file.path).allSatisfy { !$0.question.isEmpty && !$0.answer.isEmpty }, "an empty question or answer") },
            { precondition(try LabelledTextReader.read(file.path).allSatisfy { !$0.text.isEmpty && !$0.label.isEmpty }, "an empty text or label") },
            { _ = try PlainTextReader.read(file.path) },
        ]
        for read in readers {
            do {
                try read()
            } catch let error as DataError {
                precondition(!error.description.contains("\n"), "error of more than one line: \(error)")
            } catch {
                preconditionFailure("not a DataError: \(error)")
            }
        }
    }
    return 0
}

/// The executable's main (SwiftPM's name for it): libFuzzer's driver with the function above.
@_cdecl("fuzz_data_main")
func fuzzDataMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    run_fuzzer(argc, argv, dataFuzzInput)
}
