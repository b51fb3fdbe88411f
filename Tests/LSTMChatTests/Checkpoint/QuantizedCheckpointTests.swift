import Foundation
import Testing
@testable import LSTMChat

/// A quantized model file (docs/quantization.md): I8 matrices with F32 scales, biases F32.
@Suite struct QuantizedCheckpointTests {
    static func quantized(attention: Bool = true) -> CheckpointFile {
        var checkpoint = smallCheckpoint(layers: 2, attention: attention)
        checkpoint.quantize()
        return checkpoint
    }

    @Test func writeThenReadGivesTheSameInt8WeightsAndTheirDequantizedValues() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        let original = Self.quantized()
        try original.write(to: url)
        let (tensors, metadata) = try SafetensorsFile.read(url, types: [.f32, .i8])
        #expect(metadata["quantization"] == "int8-per-row")
        let types = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, ($0.dtype, $0.shape)) })
        #expect(types["proj.weight"]! == (.i8, [7, 4]) && types["proj.weight_scale"]! == (.f32, [7]) && types["proj.bias"]! == (.f32, [7]))
        #expect(types["embedding.weight"]! == (.i8, [7, 3]) && types["decoder.weight_hh_l1_scale"]! == (.f32, [16]))
        #expect(types["attn_combine.weight"]! == (.f32, [4, 8]) && types["attn_combine.weight_scale"] == nil)
        let read = try CheckpointFile.read(url)
        #expect(read.int8 == original.int8)
        #expect(Set(read.int8.keys) == Set(read.parameters.layout.entries.filter(\.isQuantized).map(\.name)))
        #expect(read.parameters.values.array == original.parameters.values.array)
    }

    /// Issue 28's target: a quantized model file takes at most 0.3× its float32 file (a model
    /// without attention, 2 layers of 128, 2,000 words: 0.26×).
    @Test func aQuantizedFileTakesUnderAThirdOfTheFloatOne() throws {
        let config = ModelConfig(vocabSize: 2000, embedSize: 128, hiddenSize: 128, layers: 2)
        let parameters = Parameters(layout: config.seq2seqLayout)
        parameters.initialize(seed: 1, hiddenSize: config.hiddenSize)
        var checkpoint = CheckpointFile(config: config, parameters: parameters,
                                        vocabulary: Vocabulary.specialTokens + (4..<2000).map { "w\($0)" }, tokenizer: "word")
        let dir = try TemporaryDirectory()
        let float = try dir.file("float.safetensors"), int8 = try dir.file("int8.safetensors")
        try checkpoint.write(to: float)
        checkpoint.quantize()
        try checkpoint.write(to: int8)
        let size = { (url: URL) in try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int }
        let (after, before) = (try size(int8), try size(float))
        #expect(Double(after) <= 0.3 * Double(before), "\(after) of \(before) bytes")
    }

    /// An adaptive softmax's output layer has no int8 form: --quantize refuses the model in one line.
    @Test func anAdaptiveSoftmaxIsNotQuantized() throws {
        let config = ModelConfig(vocabSize: 12, embedSize: 3, hiddenSize: 4, layers: 1, softmax: .adaptive, cutoffs: [6])
        let parameters = Parameters(layout: config.seq2seqLayout)
        parameters.initialize(seed: 1, hiddenSize: config.hiddenSize)
        let checkpoint = CheckpointFile(config: config, parameters: parameters,
                                        vocabulary: Vocabulary.specialTokens + (4..<12).map { "w\($0)" }, tokenizer: "word")
        #expect(checkpoint.notQuantizable == "a model with an adaptive softmax")
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try checkpoint.write(to: url)
        #expect(throws: UsageFailure.self) { try LoadedModels.open(url.path, quantize: .int8) }
    }

    /// The tensors of a float32 file pass as they are; quantized, every matrix is int8.
    @Test func aFloatFileReadsAsBeforeAndAnInt8OneIsRecognised() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try smallCheckpoint(layers: 1).write(to: url)
        #expect(try CheckpointFile.read(url).int8.isEmpty)
        // Without the types a checkpoint takes, an I8 tensor is refused as before.
        try Self.quantized().write(to: url)
        #expect(throws: CheckpointError.self) { try SafetensorsFile.read(url) }
    }

    /// Each way a quantized file can be wrong is one line naming the file and the tensor.
    @Test(arguments: [
        ("a scale missing", "missing tensor proj.weight_scale"),
        ("a weight of -128", "tensor proj.weight holds -128 (int8 weights lie in -127...127)"),
        ("a float32 matrix", "tensor proj.weight is F32, this model stores it as I8"),
        ("a negative scale", "tensor proj.weight_scale holds negative, NaN or infinite scales"),
        ("an unknown quantization", "unknown quantization \"int4\" (expected \"int8-per-row\")"),
        ("no quantization metadata", "unexpected tensor embedding.weight_scale"),
    ])
    func refusesABrokenFileInOneLine(broken: String, message: String) throws {
        let checkpoint = Self.quantized()
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try checkpoint.write(to: url)
        var (tensors, metadata) = try SafetensorsFile.read(url, types: [.f32, .i8])
        let proj = tensors.firstIndex { $0.name == "proj.weight" }!, scale = tensors.firstIndex { $0.name == "proj.weight_scale" }!
        switch broken {
        case "a scale missing": tensors.remove(at: scale)
        case "a weight of -128": tensors[proj].int8[0] = -128
        case "a float32 matrix": tensors[proj] = .init(name: "proj.weight", shape: tensors[proj].shape, values: tensors[proj].int8.map(Float.init))
        case "a negative scale": tensors[scale].values[0] = -1
        case "an unknown quantization": metadata["quantization"] = "int4"
        default: metadata["quantization"] = nil
        }
        try SafetensorsFile.write(tensors, metadata: metadata, to: url)
        #expect(throws: CheckpointError(url.path, message)) { try CheckpointFile.read(url) }
    }
}
