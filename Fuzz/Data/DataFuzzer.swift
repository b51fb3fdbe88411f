import Foundation
import CLibFuzzer
import LSTMChat

/// Scratch files per process: the readers take paths, as the CLI gives them.
private let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lstmchat-fuzz-data-\(getpid())")
private let parallel = scratch.appendingPathComponent("parallel")

/// One input from libFuzzer (`make fuzz`), read by the data reader of every task: as
/// question/answer pairs (seq2seq) from a TSV file, a ChatterBot YAML file and a directory of
/// parallel `questions.txt` + `answers.txt` (the input cut at its first 0x1E byte; without one,
/// both files hold all of it); as labelled texts (classify) from the TSV and the YAML file; as
/// plain text (lm) from a file and from that directory. Each read must give what its reader
/// promises or be refused with a one-line `DataError` naming the file; anything else stops the
/// run and libFuzzer keeps the input as `crash-…`. (Exported under the name libFuzzer's
/// runtime refers to, though its driver is handed the function directly.)
@_cdecl("LLVMFuzzerTestOneInput")
func dataFuzzInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    let cut = data.firstIndex(of: 0x1E)
    let files: [(String, Data)] = [
        ("input.tsv", data), ("input.yml", data), ("input.txt", data),
        ("parallel/questions.txt", cut.map { data[..<$0] } ?? data),
        ("parallel/answers.txt", cut.map { data[($0 + 1)...] } ?? data),
    ]
    for (name, bytes) in files {
        let url = scratch.appendingPathComponent(name)
        do { try Data(bytes).write(to: url) } catch { fatalError("cannot write \(url.path): \(error)") }
    }
    let tsv = scratch.appendingPathComponent("input.tsv"), yml = scratch.appendingPathComponent("input.yml")

    for url in [tsv, yml, parallel] {
        check(url, { try DatasetReader.read($0) }) { pairs in
            if pairs.isEmpty { return "no pairs, and no error" }
            return pairs.first { $0.question.isEmpty || $0.answer.isEmpty }.map { "an empty question or answer (line \($0.line))" }
        }
    }
    for url in [tsv, yml] {
        check(url, { try LabelledTextReader.read($0) }) { texts in
            if texts.isEmpty { return "no texts, and no error" }
            if let bad = texts.first(where: { $0.text.isEmpty || $0.label.isEmpty }) { return "an empty text or label (line \(bad.line))" }
            return Set(texts.map { [$0.text, $0.label] }).count == texts.count ? nil : "a text twice under one label"
        }
    }
    for url in [scratch.appendingPathComponent("input.txt"), parallel] {
        check(url, { try PlainTextReader.read($0) }) { lines in
            if lines.isEmpty { return "no lines, and no error" }
            return lines.contains { $0.contains("\n") } ? "a line holding a line end" : nil
        }
    }
    return 0
}

/// Reads `url` with `read`: the result must have no `problem`, or the read must fail with a
/// one-line `DataError` naming the file (or, for a directory, a file in it).
private func check<T>(_ url: URL, _ read: (String) throws -> T, problem: (T) -> String?) {
    do {
        let result = try read(url.path)
        if let problem = problem(result) { fatalError("\(url.lastPathComponent): \(problem)") }
    } catch let error as DataError {
        require(!error.description.contains("\n"), "error of more than one line: \(error)")
        require(error.file.hasPrefix(url.path), "error that does not name the file: \(error)")
    } catch {
        fatalError("\(url.lastPathComponent): not a DataError: \(error)")
    }
}

/// The executable's main (SwiftPM's name for it): libFuzzer's driver with the function above.
@_cdecl("fuzz_data_main")
func fuzzDataMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    do { try FileManager.default.createDirectory(at: parallel, withIntermediateDirectories: true) } catch {
        fatalError("cannot create \(parallel.path): \(error)")
    }
    atexit { try? FileManager.default.removeItem(at: scratch) }
    return run_fuzzer(argc, argv, dataFuzzInput)
}

/// `precondition`, but with its message in an optimized build (which drops it; `fatalError`
/// keeps it): the message is what CI shows of a failed run.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
