import Foundation
@testable import LSTMChat

/// A fresh directory for one test's files, removed when the test ends.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lstmchat-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String, contents: String? = nil) throws -> URL {
        let file = url.appendingPathComponent(name)
        if let contents { try Data(contents.utf8).write(to: file) }
        return file
    }
}

/// A safetensors file from a raw header text and data bytes, for hostile cases.
func safetensorsBytes(header: String, data: [UInt8], headerLength: UInt64? = nil) -> Data {
    var bytes = Data()
    withUnsafeBytes(of: (headerLength ?? UInt64(header.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: Array(header.utf8))
    bytes.append(contentsOf: data)
    return bytes
}

/// A small random model with a matching vocabulary, as a checkpoint.
func smallCheckpoint(seed: UInt64 = 1, layers: Int = 1, attention: Bool = false) -> CheckpointFile {
    let config = ModelConfig(vocabSize: 7, embedSize: 3, hiddenSize: 4, layers: layers, attention: attention)
    let parameters = Parameters(layout: config.seq2seqLayout)
    parameters.initialize(seed: seed, hiddenSize: config.hiddenSize)
    return CheckpointFile(config: config, parameters: parameters,
                          vocabulary: ["<pad>", "<unk>", "<bos>", "<eos>", "hello", "world", "!"],
                          tokenizer: "word", training: ["steps": "12"])
}
