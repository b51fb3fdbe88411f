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

/// Question/answer pairs over the words 4…11 of a 12-token vocabulary (0…3 are the special
/// tokens); two questions have two answers each.
let smallCorpus: [(question: [Int32], answer: [Int32])] = [
    ([4, 5], [6, 7]), ([5, 6, 7], [8]), ([8], [9, 10, 11]), ([9, 10], [4]), ([11, 4, 5], [5, 6, 7, 8, 9]),
    ([6], [7, 8, 9]), ([7, 7], [10, 11]), ([10, 9, 8], [4, 4, 5]), ([4, 5], [6, 8]), ([8], [11]),
]
let smallCorpusTokens = Vocabulary.specialTokens + ["a", "b", "c", "d", "e", "f", "g", "h"]

/// A 12-token model trained `steps` full-batch Adam steps on `smallCorpus`: after a few dozen it
/// answers some of the questions right and others not, so greedy answers end at `<eos>` after
/// several lengths or run to the maximum.
func partlyTrainedModel(steps: Int, layers: Int = 1, attention: Bool = false, seed: UInt64 = 3) throws -> Seq2SeqModel {
    let config = ModelConfig(vocabSize: smallCorpusTokens.count, embedSize: 6, hiddenSize: 8, layers: layers, attention: attention)
    let model = Seq2SeqModel(config: config)
    model.parameters.initialize(seed: seed, hiddenSize: config.hiddenSize)
    var settings = TrainingSettings()
    settings.learningRate = 0.03; settings.dropout = 0; settings.seed = seed
    let trainer = Trainer(model: model, settings: settings)
    let batch = Seq2SeqBatch(questions: smallCorpus.map(\.question), answers: smallCorpus.map(\.answer),
                             bos: Vocabulary.bos, eos: Vocabulary.eos)
    for _ in 0..<steps { _ = try trainer.step(batch) }
    return model
}
