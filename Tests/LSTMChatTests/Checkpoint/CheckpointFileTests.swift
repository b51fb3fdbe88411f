import Foundation
import Testing
@testable import LSTMChat

@Suite struct CheckpointFileTests {
    @Test(arguments: [1, 2])
    func writeThenReadGivesTheSameModel(layers: Int) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        let original = smallCheckpoint(layers: layers)
        try original.write(to: url)
        let read = try CheckpointFile.read(url)
        #expect(read.config == original.config)
        #expect(read.parameters.values.array == original.parameters.values.array)
        #expect(read.vocabulary == original.vocabulary)
        #expect(read.tokenizer == "word")
        #expect(read.training == ["steps": "12"])
    }

    @Test func theTensorsCarryPyTorchsNamesAndShapes() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try smallCheckpoint(layers: 2).write(to: url)
        let (tensors, _) = try SafetensorsFile.read(url)
        let shapes = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.shape) })
        #expect(shapes["embedding.weight"] == [7, 3])
        #expect(shapes["encoder.weight_ih_l0"] == [16, 3])
        #expect(shapes["decoder.weight_hh_l1"] == [16, 4])
        #expect(shapes["decoder.bias_ih_l1"] == [16])
        #expect(shapes["proj.weight"] == [7, 4])
        #expect(shapes.count == 1 + 2 * 2 * 4 + 2)
    }

    @Test func attentionIsRecordedInTheConfigAndItsTensorsNamedAsPyTorchs() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        let original = smallCheckpoint(layers: 2, attention: true)
        try original.write(to: url)
        let (tensors, metadata) = try SafetensorsFile.read(url)
        let shapes = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.shape) })
        #expect(shapes["attn.weight"] == [4, 4])
        #expect(shapes["attn_combine.weight"] == [4, 8])
        #expect(shapes["attn_combine.bias"] == [4])
        #expect(shapes.count == 1 + 2 * 2 * 4 + 3 + 2)
        #expect(metadata["config"]!.contains(#""attention":true"#))
        let read = try CheckpointFile.read(url)
        #expect(read.config.attention)
        #expect(read.parameters.values.array == original.parameters.values.array)
    }

    /// An adaptive softmax is written under the names of PyTorch's `nn.AdaptiveLogSoftmaxWithLoss`
    /// called `proj`, its cutoffs in the config, and read back the same.
    @Test func anAdaptiveSoftmaxKeepsPyTorchsNamesAndItsCutoffs() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        let config = ModelConfig(vocabSize: 7, embedSize: 3, hiddenSize: 16, layers: 1, softmax: .adaptive, cutoffs: [4, 5])
        let parameters = Parameters(layout: config.seq2seqLayout)
        parameters.initialize(seed: 2, hiddenSize: 16)
        let original = CheckpointFile(config: config, parameters: parameters, vocabulary: smallCheckpoint().vocabulary, tokenizer: "word")
        try original.write(to: url)
        let (tensors, metadata) = try SafetensorsFile.read(url)
        let shapes = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.shape) })
        #expect(shapes["proj.head.weight"] == [4 + 2, 16])
        #expect(shapes["proj.tail.0.0.weight"] == [4, 16] && shapes["proj.tail.0.1.weight"] == [1, 4])
        #expect(shapes["proj.tail.1.0.weight"] == [1, 16] && shapes["proj.tail.1.1.weight"] == [2, 1])
        #expect(shapes["proj.weight"] == nil && shapes.count == 1 + 2 * 4 + 5)
        #expect(metadata["config"]!.contains(#""cutoffs":[4,5]"#) && metadata["config"]!.contains(#""softmax":"adaptive""#))
        let read = try CheckpointFile.read(url)
        #expect(read.config == config)
        #expect(read.parameters.values.array == original.parameters.values.array)
    }

    /// Files written before attention existed have no "attention" in their config: they load
    /// as models without it, and models without it are still written that way.
    @Test func aConfigWithoutAttentionLoadsAsAModelWithout() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try smallCheckpoint().write(to: url)
        let (_, metadata) = try SafetensorsFile.read(url)
        #expect(metadata["config"] == #"{"embed_size":3,"hidden_size":4,"layers":1,"vocab_size":7}"#)
        #expect(try CheckpointFile.read(url).config.attention == false)
    }

    /// Rewrites a valid checkpoint with one thing changed.
    static func tampered(_ change: (inout [SafetensorsFile.Tensor], inout [String: String]) -> Void) -> Data {
        let dir = try! TemporaryDirectory()
        let url = try! dir.file("m.safetensors")
        try! smallCheckpoint().write(to: url)
        var (tensors, metadata) = try! SafetensorsFile.read(url)
        change(&tensors, &metadata)
        return SafetensorsFile.encode(tensors, metadata: metadata)
    }

    static let inconsistent: [(String, Data, String)] = [
        ("no metadata", tampered { _, m in m = [:] }, "not an lstmchat model (no \"format\""),
        ("another format", tampered { _, m in m["format"] = "other/2" }, "unsupported format other/2"),
        ("config not JSON", tampered { _, m in m["config"] = "{" }, "\"config\" is not a model configuration"),
        ("config impossible", tampered { _, m in m["config"] = #"{"vocab_size":7,"embed_size":0,"hidden_size":4,"layers":1}"# }, "impossible sizes"),
        ("vocabulary not a list", tampered { _, m in m["vocabulary"] = "\"x\"" }, "not a list of strings"),
        ("vocabulary size", tampered { _, m in m["vocabulary"] = #"["<pad>","<unk>"]"# }, "vocabulary has 2 tokens but the model has 7"),
        ("missing tensor", tampered { t, _ in t.removeAll { $0.name == "proj.bias" } }, "missing tensor proj.bias"),
        ("attention without its tensors", tampered { _, m in
            m["config"] = #"{"vocab_size":7,"embed_size":3,"hidden_size":4,"layers":1,"attention":true}"# }, "missing tensor attn.weight"),
        ("cutoffs past the vocabulary", tampered { _, m in
            m["config"] = #"{"vocab_size":7,"embed_size":3,"hidden_size":4,"layers":1,"softmax":"adaptive","cutoffs":[7]}"# },
         "cutoffs 7 must be below the vocabulary size, 7"),
        ("extra tensor", tampered { t, _ in t.append(.init(name: "attn.weight", shape: [1], values: [0])) }, "unexpected tensor attn.weight"),
        ("wrong shape", tampered { t, _ in
            let i = t.firstIndex { $0.name == "proj.weight" }!
            t[i].shape = [4, 7] }, "tensor proj.weight has shape [4, 7], the configuration needs [7, 4]"),
        ("NaN weight", tampered { t, _ in t[0].values[0] = .nan }, "holds NaN or infinite values"),
        ("infinite weight", tampered { t, _ in t[1].values[1] = -.infinity }, "holds NaN or infinite values"),
    ]

    @Test("inconsistent checkpoints are refused", arguments: inconsistent)
    func inconsistentCheckpoint(name: String, bytes: Data, reason: String) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try bytes.write(to: url)
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.read(url) }
        #expect(error?.description.contains(reason) == true, "\(name): \(error?.description ?? "")")
    }

    /// Files are read through a file handle: Foundation's Data(contentsOf:) leaked 4 KB on every
    /// empty file (found by `make fuzz`, which reads each input from a file) and refused pipes.
    @Test func anEmptyFileIsRefusedInOneLine() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors", contents: "")
        #expect(throws: CheckpointError(url.path, "not a safetensors file (0 bytes, too short for a header)")) {
            try CheckpointFile.read(url)
        }
    }

    /// As `chat --checkpoint <(curl …)` gives it.
    @Test func aNamedPipeIsRead() throws {
        let dir = try TemporaryDirectory()
        let original = smallCheckpoint(layers: 2)
        let file = try dir.file("written.safetensors")
        try original.write(to: file)
        let bytes = try Data(contentsOf: file)
        let pipe = dir.url.appendingPathComponent("model.safetensors")
        #expect(mkfifo(pipe.path, 0o600) == 0)
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: pipe.path)!
            handle.write(bytes)
            handle.closeFile()
        }
        writer.start()
        let read = try CheckpointFile.read(pipe)
        #expect(read.config == original.config && read.parameters.values.array == original.parameters.values.array)
    }
}

@Suite struct TrainingStateFileTests {
    @Test func writeThenReadGivesTheSameState() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("training.safetensors")
        let layout = smallCheckpoint().config.seq2seqLayout
        var settings = TrainingSettings()
        settings.epochs = 7; settings.seed = 42
        var progress = TrainingProgress(seed: 42)
        progress.epoch = 3; progress.stepInEpoch = 5; progress.step = 41; progress.bestValidationLoss = 1.25
        let w = (0..<layout.count).map { Float($0) * -1 }
        let m = (0..<layout.count).map { Float($0) * 0.5 }, v = (0..<layout.count).map { Float($0) * 0.25 }
        let state = TrainingStateFile(settings: settings, progress: progress, adamStep: 41, weights: w, firstMoment: m, secondMoment: v,
                                      run: ["data": "x.tsv"])
        try state.write(to: url, layout: layout)
        let read = try TrainingStateFile.read(url, layout: layout)
        #expect(read.settings == settings)
        #expect(read.progress == progress)
        #expect(read.adamStep == 41)
        #expect(read.weights == w && read.firstMoment == m && read.secondMoment == v)
        #expect(read.run == ["data": "x.tsv"])

        let other = ModelConfig(vocabSize: 8, embedSize: 3, hiddenSize: 4, layers: 1).seq2seqLayout
        #expect(throws: CheckpointError.self) { try TrainingStateFile.read(url, layout: other) }
    }

    @Test(arguments: [false, true])
    func questionNormalizationIsRecordedAndAbsentInOlderModels(normalizes: Bool) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        var checkpoint = smallCheckpoint()
        checkpoint.normalizesQuestions = normalizes
        try checkpoint.write(to: url)
        #expect(try CheckpointFile.read(url).normalizesQuestions == normalizes)
        let (_, metadata) = try SafetensorsFile.read(url)
        #expect(metadata["questions"] == (normalizes ? "final-punctuation-dropped" : nil))
    }

    /// Answers kept as written are recorded as `answers`; a file without it (older models) reads
    /// its answers lowercased, as it was trained; an unknown value is refused.
    @Test(arguments: [false, true])
    func answersAsWrittenAreRecordedAndAbsentInOlderModels(keepsText: Bool) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        var checkpoint = smallCheckpoint()
        checkpoint.keepsText = keepsText
        try checkpoint.write(to: url)
        let read = try CheckpointFile.read(url)
        #expect(read.keepsText == keepsText)
        #expect(try read.vocabularyAndTokenizer(file: url.path).1.keepsText == keepsText)
        let contents = try SafetensorsFile.read(url)
        #expect(contents.metadata["answers"] == (keepsText ? "as-written" : nil))
        try SafetensorsFile.write(contents.tensors, metadata: contents.metadata.merging(["answers": "lowercase"]) { $1 }, to: url)
        #expect(throws: CheckpointError.self) { try CheckpointFile.read(url) }
    }
}

@Suite struct CheckpointConfidenceTests {
    @Test func theThresholdIsStoredAndReadBack() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        var checkpoint = smallCheckpoint()
        checkpoint.confidence = ConfidenceThreshold(threshold: 0.125)
        try checkpoint.write(to: url)
        let read = try CheckpointFile.read(url)
        #expect(read.confidence == ConfidenceThreshold(measure: AnswerConfidence.measure, threshold: 0.125))
        #expect(read.confidence?.applicable == 0.125)
    }

    @Test func aFileWithoutAThresholdHasNone() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try smallCheckpoint().write(to: url)
        #expect(try SafetensorsFile.read(url).metadata["confidence"] == nil)
        #expect(try CheckpointFile.read(url).confidence == nil)
    }

    @Test func knownQuestionsAreStoredAsTwoInt32TensorsAndReadBack() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        var checkpoint = smallCheckpoint()
        #expect(checkpoint.knownQuestions.isEmpty)
        checkpoint.knownQuestions = TokenLists([[4, 5], [6], [5, 4, 6]])
        try checkpoint.write(to: url)
        #expect(Array(try CheckpointFile.read(url).knownQuestions) == [[4, 5], [6], [5, 4, 6]])
        let (tensors, metadata) = try SafetensorsFile.read(url, types: [.f32, .i32])
        #expect(tensors.first { $0.name == "known_questions.tokens" }?.int32 == [4, 5, 6, 5, 4, 6])
        #expect(tensors.first { $0.name == "known_questions.offsets" }?.int32 == [0, 2, 3, 6])
        #expect(metadata["known_questions"] == nil)
        try smallCheckpoint().write(to: url)
        #expect(try SafetensorsFile.read(url).tensors.allSatisfy { !$0.name.hasPrefix("known_questions") })
    }

    @Test func knownQuestionsInTheMetadataOfOlderFilesStillRead() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try CheckpointFileTests.tampered { _, m in m["known_questions"] = "[[4, 5], [6]]" }.write(to: url)
        #expect(Array(try CheckpointFile.read(url).knownQuestions) == [[4, 5], [6]])
    }

    @Test("bad known questions in older files' metadata are refused", arguments: [#"[[4, 7]]"#, #"[[-1]]"#, #"["what"]"#, #"{"#])
    func badKnownQuestions(text: String) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try CheckpointFileTests.tampered { _, m in m["known_questions"] = text }.write(to: url)
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.read(url) }
        #expect(error?.description.contains("metadata \"known_questions\" is not a list of token-id lists within the vocabulary") == true)
    }

    @Test("bad known-question tensors are refused", arguments: [
        ([4, 7], [0, 1, 2], "tensor known_questions.tokens holds ids outside the vocabulary"),
        ([4, -1], [0, 2], "tensor known_questions.tokens holds ids outside the vocabulary"),
        ([4, 5], [0, 2, 1, 2], "tensor known_questions.offsets does not rise from 0 to the 2 known-question tokens"),
        ([4, 5], [1, 2], "tensor known_questions.offsets does not rise from 0 to the 2 known-question tokens"),
        ([4, 5], [0, 3], "tensor known_questions.offsets does not rise from 0 to the 2 known-question tokens"),
        ([4, 5], [], "tensors known_questions.tokens and known_questions.offsets are not I32 lists"),
        ([4, 5], nil, "tensor known_questions.tokens has no known_questions.offsets beside it"),
    ] as [([Int32], [Int32]?, String)])
    func badKnownQuestionTensors(tokens: [Int32], offsets: [Int32]?, problem: String) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try CheckpointFileTests.tampered { t, _ in
            t.append(.init(name: "known_questions.tokens", shape: [tokens.count], int32: tokens))
            if let offsets { t.append(.init(name: "known_questions.offsets", shape: [offsets.count], int32: offsets)) }
        }.write(to: url)
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.read(url) }
        #expect(error?.description == "\(url.path): \(problem)")
    }

    @Test func aThresholdForAnotherMeasureIsNotApplied() {
        #expect(ConfidenceThreshold(measure: "something-else", threshold: 0.5).applicable == nil)
    }

    @Test("a bad threshold is refused", arguments: [#"{"measure":"x"}"#, #"0.5"#, #"{"measure":"x","threshold":"high"}"#])
    func badThreshold(text: String) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("model.safetensors")
        try CheckpointFileTests.tampered { _, m in m["confidence"] = text }.write(to: url)
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.read(url) }
        #expect(error?.description.contains("metadata \"confidence\" is not a measure and a threshold") == true)
    }
}
