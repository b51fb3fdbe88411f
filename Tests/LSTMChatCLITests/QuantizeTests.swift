import Foundation
import LSTMChat
import Testing

/// `lstmchat quantize` and `--quantize int8` (issue 28).
@Suite struct QuantizeTests {
    static let root = BundledModelTests.root
    static let questions = "hi\nwhat is ai?\nwho are you\ntell me a joke\nwhat is your favorite color\n"

    /// The bundled model quantized: at most 0.3× the float32 file, issue 28's target (0.282× on
    /// 2026-12-02: its metadata, 70 kB of vocabulary and known questions, does not shrink),
    /// recognised by its metadata, and answering as `--quantize int8` answers with the float32 file.
    @Test func writesASmallerModelThatAnswersAsTheFlagDoes() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("int8.safetensors").path
        let float = Self.root.appendingPathComponent("checkpoints/default/model.safetensors").path
        let quantize = try LSTMChatBinary.run(["quantize", "checkpoints/default", out], in: Self.root)
        #expect(quantize.status == 0, "\(quantize.stderr)")
        #expect(quantize.stdout.hasPrefix("wrote \(out): "), "\(quantize.stdout)")
        let size = { (path: String) in try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }
        let (after, before) = (try size(out), try size(float))
        #expect(Double(after) <= 0.3 * Double(before), "\(after) of \(before) bytes")
        let checkpoint = try CheckpointFile.read(URL(fileURLWithPath: out))
        #expect(!checkpoint.int8.isEmpty)

        let fromFile = try LSTMChatBinary.run(["ask", "--checkpoint", out, "--min-confidence", "0"], stdin: Self.questions)
        let fromFlag = try LSTMChatBinary.run(["ask", "--quantize", "int8", "--min-confidence", "0"], stdin: Self.questions, in: Self.root)
        #expect(fromFile.status == 0 && fromFlag.status == 0, "\(fromFile.stderr)\(fromFlag.stderr)")
        #expect(fromFile.stdout.split(separator: "\n").count == 5)
        #expect(fromFile.stdout == fromFlag.stdout)

        let again = try LSTMChatBinary.run(["quantize", out, dir.url.appendingPathComponent("twice.safetensors").path])
        #expect(again.status == 1 && again.stderr == "lstmchat: \(out): already quantized\n", "\(again.stderr)")
    }

    /// The language model writes on int8 weights too.
    @Test func generatesTextOnInt8Weights() throws {
        let result = try LSTMChatBinary.run(["generate", "--quantize", "int8", "--greedy", "--length", "40", "--prompt", "And God said"], in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.count > "And God said".count + 20, "\(result.stdout)")
    }

    /// A classifier generates nothing: --quantize and `quantize` refuse it in one line.
    @Test func refusesAClassifier() throws {
        let dir = try TemporaryDirectory()
        let config = ModelConfig(vocabSize: 6, embedSize: 4, hiddenSize: 4, layers: 1)
        let parameters = Parameters(layout: ClassifierTask.layout(config: config, labels: 2))
        parameters.initialize(seed: 1, hiddenSize: 4)
        let file = dir.url.appendingPathComponent("model.safetensors")
        try CheckpointFile(config: config, parameters: parameters, vocabulary: Vocabulary.specialTokens + ["cat", "dog"], tokenizer: "word",
                           task: .classifier, labels: ["cats", "dogs"]).write(to: file)
        let ask = try LSTMChatBinary.run(["ask", "--checkpoint", file.path, "--quantize", "int8", "cat"])
        #expect(ask.status == 64 && ask.stderr == "lstmchat: --quantize does not apply to a text classifier (\(file.path))\n", "\(ask.stderr)")
        let quantize = try LSTMChatBinary.run(["quantize", file.path, dir.url.appendingPathComponent("q.safetensors").path])
        #expect(quantize.status == 1 && quantize.stderr.split(separator: "\n").count == 1, "\(quantize.stderr)")
    }
}
