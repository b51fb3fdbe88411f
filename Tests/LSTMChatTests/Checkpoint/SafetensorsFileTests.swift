import Foundation
import Testing
@testable import LSTMChat

@Suite struct SafetensorsFileTests {
    let tensors = [
        SafetensorsFile.Tensor(name: "b", shape: [3], values: [1, -2.5, .leastNonzeroMagnitude]),
        SafetensorsFile.Tensor(name: "a.weight", shape: [2, 2], values: [0, 1e-30, 3e30, -0.0]),
        SafetensorsFile.Tensor(name: "empty", shape: [0, 5], values: []),
    ]

    @Test func writeThenReadGivesTheSameTensorsBitForBitAndTheMetadata() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("t.safetensors")
        try SafetensorsFile.write(tensors, metadata: ["k": "v", "json": "{\"x\":[1]}"], to: url)
        let (read, metadata) = try SafetensorsFile.read(url)
        #expect(metadata == ["k": "v", "json": "{\"x\":[1]}"])
        for t in tensors {
            let r = try #require(read.first { $0.name == t.name })
            #expect(r.shape == t.shape)
            #expect(r.values.map(\.bitPattern) == t.values.map(\.bitPattern))
        }
    }

    @Test func theLayoutIsTheSpecs() throws {
        let data = SafetensorsFile.encode(tensors, metadata: [:])
        let n = Int(data.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect((8 + n) % 8 == 0)  // tensor bytes start aligned
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        let b = try #require(header["b"] as? [String: Any])
        #expect(b["dtype"] as? String == "F32")
        #expect((b["data_offsets"] as? [Int]) == [0, 12])
        #expect(data.count == 8 + n + 4 * 7)
        // The first tensor's first value, little-endian, right after the header.
        #expect(Array(data[(8 + n)..<(8 + n + 4)]) == [0x00, 0x00, 0x80, 0x3F])
    }

    static let f32x2 = [UInt8](repeating: 0, count: 8)
    static let hostile: [(String, Data, String)] = [
        ("too short", Data([1, 2, 3]), "too short for a header"),
        ("header beyond the file", safetensorsBytes(header: "{}", data: [], headerLength: 1000), "beyond the file"),
        ("absurd header length", safetensorsBytes(header: "{}", data: [], headerLength: UInt64.max), "beyond the file"),
        ("header not JSON", safetensorsBytes(header: "{nope", data: []), "not a JSON object"),
        ("header an array", safetensorsBytes(header: "[1,2]", data: []), "not a JSON object"),
        ("unknown dtype", safetensorsBytes(header: #"{"x":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: f32x2), "unsupported dtype F16"),
        ("shape and bytes disagree", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: f32x2), "needs 12 bytes"),
        ("offsets out of bounds", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: f32x2), "outside the 8 data bytes"),
        ("offsets reversed", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: f32x2), "outside"),
        ("overlap", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: f32x2), "overlaps"),
        ("gap", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: f32x2), "gap of 4 bytes"),
        ("bytes after the last tensor", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: f32x2), "4 bytes after the last tensor"),
        ("negative shape", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: f32x2), "non-negative integers"),
        ("huge shape", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[4000000000000000,4000000000000000],"data_offsets":[0,8]}}"#, data: f32x2), "too many"),
        ("metadata not strings", safetensorsBytes(header: #"{"__metadata__":{"a":1}}"#, data: []), "not a string"),
        ("tensor not an object", safetensorsBytes(header: #"{"x":3}"#, data: []), "not an object"),
    ]

    @Test("hostile files are refused with a one-line reason", arguments: hostile)
    func hostileFile(name: String, bytes: Data, reason: String) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("bad.safetensors")
        try bytes.write(to: url)
        let error = #expect(throws: CheckpointError.self) { try SafetensorsFile.read(url) }
        #expect(error?.description.contains(reason) == true, "\(name): \(error?.description ?? "")")
        #expect(error?.description.hasPrefix(url.path + ": ") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func aMissingFileIsNamed() {
        let error = #expect(throws: CheckpointError.self) { try SafetensorsFile.read(URL(fileURLWithPath: "/nonexistent/m.safetensors")) }
        #expect(error?.description == "/nonexistent/m.safetensors: no such file")
    }
}

@Suite struct AtomicFileTests {
    @Test func aFailedWriteLeavesThePreviousFileAndNoTemporary() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try AtomicFile.write(Data("old".utf8), to: url)
        // Renaming onto a directory fails after the bytes were written: the old file must survive.
        let blocked = try dir.file("blocked")
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("inside"), withIntermediateDirectories: true)
        #expect(throws: CheckpointError.self) { try AtomicFile.write(Data("new".utf8), to: blocked) }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["blocked", "model.safetensors"])
    }

    @Test func anUnwritableDirectoryIsAClearError() throws {
        let error = #expect(throws: CheckpointError.self) {
            try AtomicFile.write(Data("x".utf8), to: URL(fileURLWithPath: "/nonexistent-dir/model.safetensors"))
        }
        #expect(error?.description == "/nonexistent-dir/model.safetensors: cannot write (create): No such file or directory")
    }
}
