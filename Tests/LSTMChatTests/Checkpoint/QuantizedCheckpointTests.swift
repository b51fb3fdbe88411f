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

    /// A model with attention and a hidden size of 40, quantized: attention's matrices have more
    /// than 32 columns (attn [40, 40], attn_combine [40, 80]), so 2 and 3 scales a row.
    static func wide() -> CheckpointFile {
        let config = ModelConfig(vocabSize: 7, embedSize: 3, hiddenSize: 40, layers: 1, attention: true)
        let parameters = Parameters(layout: config.seq2seqLayout)
        parameters.initialize(seed: 2, hiddenSize: config.hiddenSize)
        var checkpoint = CheckpointFile(config: config, parameters: parameters, vocabulary: smallCheckpoint().vocabulary, tokenizer: "word")
        checkpoint.quantize()
        return checkpoint
    }

    static func types(_ url: URL) throws -> (types: [String: (SafetensorsFile.DType, [Int])], metadata: [String: String]) {
        let (tensors, metadata) = try SafetensorsFile.read(url, types: [.f32, .i8])
        return (Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, ($0.dtype, $0.shape)) }), metadata)
    }

    @Test func writeThenReadGivesTheSameInt8WeightsAndTheirDequantizedValues() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        let original = Self.quantized()
        try original.write(to: url)
        let (types, metadata) = try Self.types(url)
        #expect(metadata["quantization"] == "int8-per-row+attention-per-32")
        #expect(types["proj.weight"]! == (.i8, [7, 4]) && types["proj.weight_scale"]! == (.f32, [7]) && types["proj.bias"]! == (.f32, [7]))
        #expect(types["embedding.weight"]! == (.i8, [7, 3]) && types["decoder.weight_hh_l1_scale"]! == (.f32, [16]))
        // Attention's matrices of 32 columns or fewer: one group a row, like the others.
        #expect(types["attn_combine.weight"]! == (.i8, [4, 8]) && types["attn_combine.weight_scale"]! == (.f32, [4]))
        #expect(types["attn_combine.bias"]! == (.f32, [4]))
        let read = try CheckpointFile.read(url)
        #expect(read.int8 == original.int8)
        #expect(Set(read.int8.keys) == Set(read.parameters.layout.entries.filter { $0.shape.count == 2 }.map(\.name)))
        #expect(read.parameters.values.array == original.parameters.values.array)
    }

    /// Attention's matrices are stored with a scale per 32 columns of a row, [rows, groups], and
    /// read back as they were written; the others keep one scale a row.
    @Test func attentionMatricesRoundTripInGroupsOf32Columns() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        let original = Self.wide()
        #expect(original.int8["attn_combine.weight"]!.groupSize == 32 && original.int8["proj.weight"]!.groupSize == 40)
        try original.write(to: url)
        let (types, _) = try Self.types(url)
        #expect(types["attn.weight"]! == (.i8, [40, 40]) && types["attn.weight_scale"]! == (.f32, [40, 2]))
        #expect(types["attn_combine.weight"]! == (.i8, [40, 80]) && types["attn_combine.weight_scale"]! == (.f32, [40, 3]))
        #expect(types["decoder.weight_hh_l0_scale"]! == (.f32, [160]))
        let read = try CheckpointFile.read(url)
        #expect(read.int8 == original.int8)
        #expect(read.parameters.values.array == original.parameters.values.array)
    }

    /// A file of the layout before (`int8-per-row`: attention's matrices F32) reads as it was
    /// written, attention in float32, and is written again in its own layout.
    @Test func aFileWithAttentionInFloat32StillReads() throws {
        var old = Self.wide()
        for name in ["attn.weight", "attn_combine.weight"] {  // float32 values no int8 form has
            old.int8[name] = nil
            let w = old.parameters.value(name)
            for i in w.indices { w[i] = Float(i % 13) * 0.01 - 0.05 }
        }
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try old.write(to: url)
        let (types, metadata) = try Self.types(url)
        #expect(metadata["quantization"] == "int8-per-row")
        #expect(types["attn.weight"]! == (.f32, [40, 40]) && types["attn.weight_scale"] == nil)
        let read = try CheckpointFile.read(url)
        #expect(read.int8 == old.int8 && read.int8["attn.weight"] == nil)
        #expect(read.parameters.values.array == old.parameters.values.array)
        let again = try dir.file("again.safetensors")
        try read.write(to: again)
        #expect(try Self.types(again).metadata["quantization"] == "int8-per-row")
    }

    /// Issue 28's target: a quantized model file takes at most 0.3× its float32 file (a model
    /// with attention, 2 layers of 128, 2,000 words: 0.26×).
    @Test func aQuantizedFileTakesUnderAThirdOfTheFloatOne() throws {
        let config = ModelConfig(vocabSize: 2000, embedSize: 128, hiddenSize: 128, layers: 2, attention: true)
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
        ("an unknown quantization", "unknown quantization \"int4\" (expected \"int8-per-row+attention-per-32\")"),
        ("no quantization metadata", "unexpected tensor embedding.weight_scale"),
        ("attention with a scale a row", "tensor attn_combine.weight_scale is F32 [40], the configuration needs F32 [40, 3]"),
        ("attention in float32", "tensor attn.weight is F32, this model stores it as I8"),
        ("attention in int8 in the layout before", "unexpected tensor attn.weight_scale"),
        ("an infinite attention scale", "tensor attn.weight_scale holds negative, NaN or infinite scales"),
    ])
    func refusesABrokenFileInOneLine(broken: String, message: String) throws {
        let checkpoint = Self.wide()
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try checkpoint.write(to: url)
        var (tensors, metadata) = try SafetensorsFile.read(url, types: [.f32, .i8])
        let index = { (name: String) in tensors.firstIndex { $0.name == name }! }
        let proj = index("proj.weight"), scale = index("proj.weight_scale")
        switch broken {
        case "a scale missing": tensors.remove(at: scale)
        case "a weight of -128": tensors[proj].int8[0] = -128
        case "a float32 matrix": tensors[proj] = .init(name: "proj.weight", shape: tensors[proj].shape, values: tensors[proj].int8.map(Float.init))
        case "a negative scale": tensors[scale].values[0] = -1
        case "an unknown quantization": metadata["quantization"] = "int4"
        case "attention with a scale a row":
            let s = index("attn_combine.weight_scale")
            tensors[s] = .init(name: tensors[s].name, shape: [40], values: Array(tensors[s].values.prefix(40)))
        case "attention in float32":
            let a = index("attn.weight")
            tensors[a] = .init(name: "attn.weight", shape: [40, 40], values: checkpoint.parameters.value("attn.weight").map { $0 })
        case "attention in int8 in the layout before": metadata["quantization"] = "int8-per-row"
        case "an infinite attention scale": tensors[index("attn.weight_scale")].values[79] = .infinity
        default: metadata["quantization"] = nil
        }
        try SafetensorsFile.write(tensors, metadata: metadata, to: url)
        #expect(throws: CheckpointError(url.path, message)) { try CheckpointFile.read(url) }
    }
}
