import Testing
@testable import LSTMChat

@Suite struct InferenceSessionTests {
    static func model(layers: Int) -> Seq2SeqModel {
        let config = ModelConfig(vocabSize: 9, embedSize: 5, hiddenSize: 6, layers: layers)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 7, hiddenSize: config.hiddenSize)
        return model
    }

    @Test("stepping token by token gives the logits of the whole-sequence forward", arguments: [1, 2])
    func stepEqualsForward(layers: Int) {
        let model = Self.model(layers: layers)
        let question: [Int32] = [4, 5, 6], answer: [Int32] = [7, 8, 4]
        let batch = Seq2SeqBatch(questions: [question], answers: [answer], bos: 2, eos: 3)
        var rng = Xoshiro256(seed: 0)
        let full = Array(model.forward(batch, rng: &rng))  // [T, 1, V]

        let session = InferenceSession(model: model)
        session.encode(question, rows: 3)
        let V = model.config.vocabSize
        for (t, token) in ([2] + answer).enumerated() {
            let logits = session.step([token, token, token])
            for r in 0..<3 {
                for v in 0..<V { #expect(abs(logits[r * V + v] - full[t * V + v]) < 1e-5) }
            }
        }
    }

    @Test func reorderCopiesTheChosenRowsState() {
        let model = Self.model(layers: 2)
        let session = InferenceSession(model: model)
        session.encode([4, 5], rows: 2)
        let V = model.config.vocabSize
        _ = session.step([6, 7])                  // the two rows now differ
        session.reorder([1, 1])                   // both continue from row 1
        let logits = Array(session.step([8, 8]))
        #expect(Array(logits[0..<V]) == Array(logits[V..<(2 * V)]))
    }
}
