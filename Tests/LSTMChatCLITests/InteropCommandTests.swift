import Foundation
import LSTMChat
import Testing

/// The hidden commands `make interop` checks the PyTorch trainer with.
@Suite struct InteropCommandTests {
    @Test func tokenizeReadsJSONStringsAndWritesTheirTokens() throws {
        let texts = ["Don't STOP, it's 3.14!", "e\u{301}te\u{301}\r\nnext", ""]
        let input = try texts.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) + "\n" }.joined()
        for kind in Tokenizer.Kind.allCases {
            let result = try LSTMChatBinary.run(["tokenize", "--tokenizer", kind.rawValue], stdin: input)
            #expect(result.status == 0)
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            let got = try lines.map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) }
            #expect(got == texts.map(Tokenizer(kind: kind).tokenize))
        }
    }

    @Test func tokenizeNamesTheLineThatIsNotJSON() throws {
        let result = try LSTMChatBinary.run(["tokenize"], stdin: "\"fine\"\nnot json\n")
        #expect(result.status == 1)
        #expect(result.stderr == "lstmchat: standard input:2: expected a JSON string\n")
    }

    @Test func logitsAreTheModelsForwardOfTheBatch() throws {
        let dir = try TemporaryDirectory()
        let output = dir.url.appendingPathComponent("logits.safetensors")
        let pairs: [[[Int32]]] = [[[4, 5, 6], [7, 8]], [[9], [10, 11, 12]]]
        let input = try pairs.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) + "\n" }.joined()
        let result = try LSTMChatBinary.run(["logits", "--checkpoint", TinyCheckpoint.path, "-o", output.path], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")

        let checkpoint = try CheckpointFile.read(URL(fileURLWithPath: TinyCheckpoint.path))
        let model = Seq2SeqModel(config: checkpoint.config, parameters: checkpoint.parameters)
        let batch = Seq2SeqBatch(questions: pairs.map { $0[0] }, answers: pairs.map { $0[1] }, bos: Vocabulary.bos, eos: Vocabulary.eos)
        var rng = Xoshiro256(seed: 0)
        let expected = Array(model.forward(batch, rng: &rng))
        let (tensors, metadata) = try SafetensorsFile.read(output)
        #expect(tensors.map(\.name) == ["logits"])
        #expect(tensors[0].shape == [4, 2, TinyCheckpoint.vocabulary.count])
        #expect(tensors[0].values == expected)
        #expect(metadata["loss"] == "\(model.loss(batch))")
    }

    @Test func logitsRefuseIdsOutsideTheVocabulary() throws {
        let dir = try TemporaryDirectory()
        let result = try LSTMChatBinary.run(["logits", "--checkpoint", TinyCheckpoint.path, "-o", dir.url.appendingPathComponent("l").path],
                                            stdin: "[[4, 5], [6]]\n[[4, 999], [6]]\n")
        #expect(result.status == 1)
        #expect(result.stderr == "lstmchat: standard input:2: expected [[question ids], [answer ids]] within the vocabulary\n")
    }
}
