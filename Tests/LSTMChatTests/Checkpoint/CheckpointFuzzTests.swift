import Foundation
import Testing
@testable import LSTMChat

/// Thousands of damaged checkpoints: every one must either load as a consistent model or be
/// refused with a `CheckpointError` — never crash, hang, or fail in another way.
@Suite struct CheckpointFuzzTests {
    static let seedDirectory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/FuzzSeeds")
    static let seeds: [Data] = ["one-layer", "two-layers", "python-safetensors"].map {
        try! Data(contentsOf: seedDirectory.appendingPathComponent("\($0).safetensors"))
    }

    @Test func filesFromThePythonReferenceLoad() throws {
        let ours = try CheckpointFile.decode(Self.seeds[1], file: "two-layers")
        let python = try CheckpointFile.decode(Self.seeds[2], file: "python")
        #expect(python.config == ours.config && python.vocabulary == ours.vocabulary)
        #expect(python.parameters.values.array == ours.parameters.values.array.map { $0 * 2 })
    }

    /// One random damage of the kinds real files suffer, and a few that target the format.
    static func mutate(_ data: Data, rng: inout Xoshiro256) -> Data {
        var bytes = [UInt8](data)
        // Where the header claims to end, kept inside the file (and past the length field).
        let claimed = Int(bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & 0xFFFF_FFFF)
        let headerEnd = max(8, min(bytes.count, 8 + claimed))
        func position(_ range: Range<Int>) -> Int { range.isEmpty ? 0 : range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        switch rng.next() % 8 {
        case 0:  // flip bits anywhere
            for _ in 0..<(1 + rng.next() % 4) where !bytes.isEmpty { bytes[position(0..<bytes.count)] ^= UInt8(1) << (rng.next() % 8) }
        case 1:  // truncate
            bytes.removeLast(bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count)))
        case 2:  // splice: the start of this file, the rest of another
            let other = [UInt8](seeds[Int(rng.next() % UInt64(seeds.count))])
            let cut = position(0..<bytes.count), from = position(0..<other.count)
            bytes = Array(bytes[..<cut]) + Array(other[from...])
        case 3:  // header length tampered
            let choices: [UInt64] = [0, 1, UInt64(headerEnd), UInt64(bytes.count), UInt64.max, rng.next() % 100_000]
            let n = choices[Int(rng.next() % 6)]
            for i in 0..<min(8, bytes.count) { bytes[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
        case 4:  // change a digit in the header (shapes, offsets, config, vocabulary)
            let digits = (8..<max(8, min(headerEnd, bytes.count))).filter { (0x30...0x39).contains(bytes[$0]) }
            if let i = digits.isEmpty ? nil : digits[Int(rng.next() % UInt64(digits.count))] {
                bytes[i] = 0x30 + UInt8(rng.next() % 10)
            }
        case 5:  // JSON punctuation replaced in the header
            let punctuation: [UInt8] = Array("{}[]\",:\\0-".utf8)
            if bytes.count > headerEnd, headerEnd > 8 { bytes[position(8..<headerEnd)] = punctuation[Int(rng.next() % UInt64(punctuation.count))] }
        case 6:  // a float in the data becomes NaN or infinity
            if bytes.count >= headerEnd + 4 {
                let at = headerEnd + 4 * ((position(headerEnd..<bytes.count) - headerEnd) / 4)
                let pattern: UInt32 = rng.next() % 2 == 0 ? 0x7FC0_0000 : 0x7F80_0000
                for k in 0..<4 where at + k < bytes.count { bytes[at + k] = UInt8(truncatingIfNeeded: pattern >> (8 * UInt32(k))) }
            }
        default:  // bytes inserted or removed inside the header
            if bytes.count > headerEnd, headerEnd > 8 {
                let at = position(8..<headerEnd)
                if rng.next() % 2 == 0 { bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at) } else { bytes.remove(at: at) }
            }
        }
        return Data(bytes)
    }

    @Test func damagedCheckpointsLoadOrAreRefused() throws {
        #if DEBUG
        let count = 1_000
        #else
        let count = 100_000
        #endif
        var rng = Xoshiro256(seed: 2026)
        var loaded = 0, refused = 0
        for i in 0..<count {
            var data = Self.seeds[i % Self.seeds.count]
            for _ in 0..<(1 + rng.next() % 3) { data = Self.mutate(data, rng: &rng) }
            do {
                let checkpoint = try CheckpointFile.decode(data, file: "fuzz-\(i)")
                #expect(checkpoint.parameters.allFinite)
                #expect(checkpoint.vocabulary.count == checkpoint.config.vocabSize)
                loaded += 1
            } catch let error as CheckpointError {
                #expect(!error.description.contains("\n"))
                refused += 1
            }
        }
        print("checkpoint fuzz: \(count) inputs, \(loaded) loaded, \(refused) refused")
        #expect(loaded + refused == count)
        #expect(loaded > 0 && refused > 0)
    }
}
