import Foundation
import Testing
@testable import LSTMChat

@Suite struct InferenceSessionTests {
    static func model(layers: Int, attention: Bool = false, adaptive: Bool = false) -> Seq2SeqModel {
        let config = ModelConfig(vocabSize: 9, embedSize: 5, hiddenSize: adaptive ? 16 : 6, layers: layers, attention: attention,
                                 softmax: adaptive ? .adaptive : .full, cutoffs: [5, 7])
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 7, hiddenSize: config.hiddenSize)
        return model
    }

    static let shapes = [(1, false), (2, false), (1, true), (2, true)]

    /// With an adaptive softmax a step gives log-probabilities: a whole distribution, whose
    /// mean negative log-probability of the answer is the model's loss.
    @Test("an adaptive softmax steps through its exact log-distribution", arguments: [false, true])
    func adaptiveSoftmaxGivesTheLossItTrainsOn(attention: Bool) {
        let model = Self.model(layers: 1, attention: attention, adaptive: true)
        let question: [Int32] = [4, 5, 6], answer: [Int32] = [7, 8, 4, 6]
        let batch = Seq2SeqBatch(questions: [question], answers: [answer], bos: 2, eos: 3)
        let session = InferenceSession(model: model)
        session.encode(question, rows: 1)
        var summed: Double = 0
        for (token, target) in zip([2] + answer, answer + [3]) {
            let logP = session.step([token])
            let total: Double = logP.reduce(0.0) { (sum: Double, x: Float) in sum + Foundation.exp(Double(x)) }
            #expect(abs(total - 1) < 1e-5)
            summed -= Double(logP[Int(target)])
        }
        let loss = Double(model.loss(batch))
        #expect(abs(summed / Double(answer.count + 1) - loss) < 1e-5, "\(summed / 5) vs \(loss)")
    }

    @Test("stepping token by token gives the logits of the whole-sequence forward", arguments: shapes.map { ($0, $1, false) } + [(1, true, true)])
    func stepEqualsForward(layers: Int, attention: Bool, adaptive: Bool) {
        let model = Self.model(layers: layers, attention: attention, adaptive: adaptive)
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

    /// Several questions in one batch, each row attending to its own (padded) question, give
    /// each question's logits as a batch of one does.
    @Test("a batch of questions answers each as if alone", arguments: shapes)
    func batchOfQuestionsEqualsOneByOne(layers: Int, attention: Bool) {
        let model = Self.model(layers: layers, attention: attention)
        let questions: [[Int32]] = [[4, 5, 6, 7], [8], [5, 4]], answer: [Int32] = [2, 7, 8]
        let V = model.config.vocabSize
        var alone: [[Float]] = []
        let session = InferenceSession(model: model)
        for question in questions {
            session.encode(question, rows: 1)
            alone.append(answer.flatMap { Array(session.step([$0])) })
        }
        session.encode(questions: questions)
        for (t, token) in answer.enumerated() {
            let logits = session.step([token, token, token])
            for q in 0..<questions.count {
                for v in 0..<V { #expect(abs(logits[q * V + v] - alone[q][t * V + v]) < 1e-5) }
            }
        }
    }

    @Test("reorder copies the chosen row's state", arguments: [false, true])
    func reorderCopiesTheChosenRowsState(attention: Bool) {
        let model = Self.model(layers: 2, attention: attention)
        let session = InferenceSession(model: model)
        session.encode([4, 5], rows: 2)
        let V = model.config.vocabSize
        _ = session.step([6, 7])                  // the two rows now differ
        session.reorder([1, 1])                   // both continue from row 1
        let logits = Array(session.step([8, 8]))
        #expect(Array(logits[0..<V]) == Array(logits[V..<(2 * V)]))
    }

    /// Batched greedy answers drop finished rows: the rows left go on as they would have.
    @Test("reorder to fewer rows keeps the chosen rows' states and questions", arguments: shapes)
    func reorderToFewerRows(layers: Int, attention: Bool) {
        let model = Self.model(layers: layers, attention: attention)
        let questions: [[Int32]] = [[4, 5, 6, 7], [8], [5, 4], [6, 6, 7]]
        let V = model.config.vocabSize
        let session = InferenceSession(model: model)
        session.encode(questions: questions)
        _ = session.step([2, 2, 2, 2])
        let all = Array(session.step([7, 8, 4, 5]))
        session.encode(questions: questions)
        _ = session.step([2, 2, 2, 2])
        session.reorder([1, 3])
        #expect(session.rows == 2)
        let kept = Array(session.step([8, 5]))
        session.reorder([1])
        #expect(session.rows == 1)
        _ = session.step([6])  // one row on its own runs on too
        for (r, old) in [1, 3].enumerated() {
            for v in 0..<V { #expect(abs(kept[r * V + v] - all[old * V + v]) < 1e-5) }
        }
    }

    /// With several questions, a reordered row keeps attending to the question it came from.
    @Test func reorderCarriesTheRowsQuestion() {
        let model = Self.model(layers: 1, attention: true)
        let session = InferenceSession(model: model)
        session.encode(questions: [[4, 5], [6, 7, 8]])
        _ = session.step([2, 2])
        session.reorder([1, 1])
        let logits = Array(session.step([5, 5]))
        session.encode(questions: [[6, 7, 8]])
        _ = session.step([2])
        let expected = Array(session.step([5]))
        let V = model.config.vocabSize
        for v in 0..<V { #expect(abs(logits[v] - expected[v]) < 1e-5 && abs(logits[V + v] - expected[v]) < 1e-5) }
    }
}
