import Foundation
import Testing
@testable import LSTMChat

/// Language-model and classifier checkpoints: they keep their task and labels, and damaged
/// ones are refused in one line like any other.
@Suite struct TaskCheckpointTests {
    static func encoded(_ checkpoint: CheckpointFile) throws -> Data {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("model.safetensors")
        try checkpoint.write(to: url)
        return try Data(contentsOf: url)
    }

    static let config = ModelConfig(vocabSize: 6, embedSize: 3, hiddenSize: 4, layers: 2)
    static let vocabulary = Vocabulary.specialTokens + ["a", "b"]

    static func languageModel() -> CheckpointFile {
        let model = LanguageModel(config: config)
        model.parameters.initialize(seed: 1, hiddenSize: 4)
        return CheckpointFile(config: config, parameters: model.parameters, vocabulary: vocabulary, tokenizer: "char", task: .languageModel)
    }

    static func classifier() -> CheckpointFile {
        let model = ClassifierModel(config: config, classes: 3)
        model.parameters.initialize(seed: 2, hiddenSize: 4)
        return CheckpointFile(config: config, parameters: model.parameters, vocabulary: vocabulary, tokenizer: "word",
                              task: .classifier, labels: ["x", "y", "z"])
    }

    @Test func eachTaskRoundTripsWithItsLabels() throws {
        for original in [Self.languageModel(), Self.classifier()] {
            let data = try Self.encoded(original)
            let read = try CheckpointFile.decode(data, file: "m")
            #expect(read.task == original.task && read.labels == original.labels)
            #expect(read.parameters.values.array == original.parameters.values.array)
            let dir = try TemporaryDirectory()
            let url = dir.url.appendingPathComponent("m.safetensors")
            try data.write(to: url)
            #expect(try CheckpointFile.read(url).task == original.task)
        }
    }

    @Test func aClassifierWithoutItsLabelsIsRefused() throws {
        var bytes = [UInt8](try Self.encoded(Self.classifier()))
        // "labels" renamed in the header: same length, so the file stays well formed.
        let header = Array("\"labels\"".utf8), renamed = Array("\"lab3ls\"".utf8)
        let at = try #require((0..<(bytes.count - header.count)).first { Array(bytes[$0..<($0 + header.count)]) == header })
        bytes.replaceSubrange(at..<(at + header.count), with: renamed)
        #expect(throws: CheckpointError("m", "not an lstmchat model (no \"labels\" in its metadata)")) {
            try CheckpointFile.decode(Data(bytes), file: "m")
        }
    }

    @Test func damagedTaskCheckpointsLoadOrAreRefused() throws {
        let seeds = [try Self.encoded(Self.languageModel()), try Self.encoded(Self.classifier())]
        var rng = Xoshiro256(seed: 15)
        var loaded = 0, refused = 0
        let count = 20_000
        for i in 0..<count {
            var data = seeds[i % 2]
            for _ in 0..<(1 + rng.next() % 3) { data = CheckpointFuzzTests.mutate(data, rng: &rng) }
            do {
                let checkpoint = try CheckpointFile.decode(data, file: "fuzz-\(i)")
                #expect(checkpoint.parameters.allFinite && checkpoint.vocabulary.count == checkpoint.config.vocabSize)
                #expect(checkpoint.task != .classifier || checkpoint.labels.count == checkpoint.parameters.layout.entry("proj.bias")!.count)
                loaded += 1
            } catch let error as CheckpointError {
                #expect(!error.description.contains("\n"))
                refused += 1
            }
        }
        #expect(loaded + refused == count && loaded > 0 && refused > 0)
    }
}
