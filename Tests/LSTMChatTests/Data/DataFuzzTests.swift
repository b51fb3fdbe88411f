import Foundation
import Testing
@testable import LSTMChat

/// Thousands of damaged data files: each must be read as pairs or refused with a `DataError`
/// of one line — never a crash or another kind of failure.
@Suite struct DataFuzzTests {
    static let seeds: [(name: String, bytes: [UInt8])] = [
        "examples/small.tsv", "chatterbot-english/greetings.yml", "chatterbot-english/humor.yml",
    ].map { path in
        let url = DatasetsTests.datasets.appendingPathComponent(path)
        return (url.lastPathComponent, [UInt8](try! Data(contentsOf: url)))
    } + [
        // The language model's text: the start of the bundled Genesis (all of it would make each read slow).
        ("genesis.txt", Array([UInt8](try! Data(contentsOf: DatasetsTests.datasets.appendingPathComponent("kjv/genesis.txt"))).prefix(3000))),
    ]

    static func mutate(_ input: [UInt8], rng: inout Xoshiro256) -> [UInt8] {
        var bytes = input
        func position() -> Int { bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count)) }
        // Bytes that matter to the formats: tab, newline, CR, NUL, BOM and broken UTF-8, YAML syntax.
        let special: [UInt8] = [0x09, 0x0A, 0x0D, 0x00, 0xEF, 0xBB, 0xBF, 0xFF, 0xC3, 0x80, 0x23,
                                0x2D, 0x3A, 0x26, 0x2A, 0x5B, 0x7B, 0x22, 0x27, 0x20, 0x7C, 0x3E]
        for _ in 0..<(1 + rng.next() % 4) {
            switch rng.next() % 6 {
            case 0: if !bytes.isEmpty { bytes[position()] ^= UInt8(1) << (rng.next() % 8) }
            case 1: bytes.insert(special[Int(rng.next() % UInt64(special.count))], at: position())
            case 2: if !bytes.isEmpty { bytes.remove(at: position()) }
            case 3: bytes.removeLast(bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count)))
            case 4:  // duplicate a stretch (deeper nesting, repeated keys, long lines)
                let start = position(), length = min(bytes.count - start, Int(rng.next() % 200))
                bytes.insert(contentsOf: bytes[start..<(start + length)], at: position())
            default: if !bytes.isEmpty { bytes[position()] = special[Int(rng.next() % UInt64(special.count))] }
            }
        }
        return bytes
    }

    @Test func damagedDataFilesAreReadOrRefused() throws {
        let dir = try TemporaryDirectory()
        #if DEBUG
        let count = 300
        #else
        let count = 3_000
        #endif
        var rng = Xoshiro256(seed: 7)
        var read = 0, refused = 0
        for i in 0..<count {
            let seed = Self.seeds[i % Self.seeds.count]
            let file = try dir.file("\(i)-\(seed.name)")
            try Data(Self.mutate(seed.bytes, rng: &rng)).write(to: file)
            do {
                let pairs = try DatasetReader.read(file.path)
                #expect(pairs.allSatisfy { !$0.question.isEmpty && !$0.answer.isEmpty })
                read += 1
            } catch let error as DataError {
                #expect(!error.description.contains("\n"), "\(error)")
                refused += 1
            }
            try FileManager.default.removeItem(at: file)
        }
        print("data fuzz: \(count) inputs, \(read) read, \(refused) refused")
        #expect(read + refused == count && read > 0 && refused > 0)
    }

    /// The readers of the other tasks on the same damaged files: labelled texts (TSV and
    /// ChatterBot categories) and plain text.
    @Test func damagedFilesAreReadOrRefusedAsLabelledAndPlainText() throws {
        let dir = try TemporaryDirectory()
        var rng = Xoshiro256(seed: 8)
        var read = 0, refused = 0
        for i in 0..<1_500 {
            let seed = Self.seeds[i % Self.seeds.count]
            let file = try dir.file("\(i)-\(seed.name)")
            try Data(Self.mutate(seed.bytes, rng: &rng)).write(to: file)
            for reader in [{ _ = try LabelledTextReader.read(file.path).map { precondition(!$0.text.isEmpty && !$0.label.isEmpty) } },
                           { _ = try PlainTextReader.read(file.path) }] {
                do {
                    try reader()
                    read += 1
                } catch let error as DataError {
                    // One line, naming the file (an empty text, bad UTF-8, a NUL byte, …).
                    #expect(!error.description.contains("\n") && error.description.hasPrefix(file.path), "\(error)")
                    refused += 1
                }
            }
            try FileManager.default.removeItem(at: file)
        }
        #expect(read > 0 && refused > 0)
    }

    @Test func aTenMegabyteLineIsOnePair() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.file("long.tsv", contents: "q\t" + String(repeating: "word ", count: 2_000_000) + "\n")
        let pairs = try DatasetReader.read(file.path)
        #expect(pairs.count == 1 && pairs[0].answer.utf8.count > 9_000_000)
    }
}
