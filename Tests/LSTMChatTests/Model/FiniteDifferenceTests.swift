import Testing
@testable import LSTMChat

/// Analytic gradients against central finite differences of the loss, on tiny models and
/// awkward batches: a batch of one, a one-token question, every row padded differently.
@Suite struct FiniteDifferenceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let layers: Int
        let dropout: Float
        let questions: [[Int32]]
        let answers: [[Int32]]
        var attention = false
        /// An adaptive softmax with these cutoffs (empty: the full softmax); its two tail
        /// clusters need a hidden size of 16 (projections of 4 and 1).
        var cutoffs: [Int] = []
        var hidden = 4
        /// The adaptive softmax's `clusterScoresBudget` (nil: its own).
        var clusterScoresBudget: Int? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "batch of one, one-token question", layers: 1, dropout: 0, questions: [[5]], answers: [[6, 7]]),
        Case(name: "rows padded differently, 1 layer", layers: 1, dropout: 0,
             questions: [[4], [5, 6, 7], [8, 4, 5, 6, 7], [9, 9]], answers: [[6, 7, 8], [4], [5, 5], [7, 8, 9, 4]]),
        Case(name: "rows padded differently, 2 layers", layers: 2, dropout: 0,
             questions: [[4, 5], [6], [7, 8, 9]], answers: [[6], [4, 5, 6], [8, 9]]),
        Case(name: "2 layers with dropout", layers: 2, dropout: 0.3,
             questions: [[4, 5, 6], [7]], answers: [[8, 9], [4, 5, 6]]),
        Case(name: "attention, batch of one, one-token question", layers: 1, dropout: 0,
             questions: [[5]], answers: [[6, 7]], attention: true),
        Case(name: "attention, rows padded differently, 1 layer", layers: 1, dropout: 0,
             questions: [[4], [5, 6, 7], [8, 4, 5, 6, 7], [9, 9]], answers: [[6, 7, 8], [4], [5, 5], [7, 8, 9, 4]],
             attention: true),
        Case(name: "attention, 2 layers with dropout", layers: 2, dropout: 0.3,
             questions: [[4, 5], [6], [7, 8, 9]], answers: [[6], [4, 5, 6], [8, 9]], attention: true),
        // Targets in the shortlist (0–4), the first cluster (5, 6) and the second (7–9).
        Case(name: "adaptive softmax, rows padded differently", layers: 1, dropout: 0,
             questions: [[4], [5, 6, 7], [9, 9]], answers: [[6, 7, 8], [4], [5, 9, 4]], cutoffs: [5, 7], hidden: 16),
        Case(name: "adaptive softmax, attention and dropout", layers: 1, dropout: 0.3,
             questions: [[4, 5], [6]], answers: [[6, 9], [8, 5, 4]], attention: true, cutoffs: [5, 7], hidden: 16),
        // A budget of 3 scores: each cluster's rows one at a time.
        Case(name: "adaptive softmax, a cluster's rows a few at a time", layers: 1, dropout: 0,
             questions: [[4], [5, 6, 7], [9, 9]], answers: [[6, 7, 8], [5, 9], [5, 9, 4]], cutoffs: [5, 7], hidden: 16,
             clusterScoresBudget: 3),
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) {
        let config = ModelConfig(vocabSize: 10, embedSize: 3, hiddenSize: c.hidden, layers: c.layers, attention: c.attention,
                                 softmax: c.cutoffs.isEmpty ? .full : .adaptive, cutoffs: c.cutoffs)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 3, hiddenSize: config.hiddenSize)
        if let budget = c.clusterScoresBudget, case .adaptive(let softmax) = model.output { softmax.clusterScoresBudget = budget }
        let batch = Seq2SeqBatch(questions: c.questions, answers: c.answers, bos: 2, eos: 3)

        // The same dropout masks for every evaluation: restart the generator each time.
        func loss() -> Float {
            var rng = Xoshiro256(seed: 11)
            _ = model.forward(batch, dropout: c.dropout, rng: &rng)
            var again = Xoshiro256(seed: 11)
            return model.lossAndGradients(batch, dropout: c.dropout, rng: &again)
        }
        _ = loss()
        let analytic = model.parameters.gradients.array
        let values = model.parameters.values
        var checked = 0, worst: Float = 0
        let eps: Float = 1e-2
        // Every parameter of the tiny model, in double-sided differences.
        for i in 0..<values.count {
            let saved = values[i]
            values[i] = saved + eps; let up = loss()
            values[i] = saved - eps; let down = loss()
            values[i] = saved
            let numeric = (up - down) / (2 * eps)
            let error = abs(numeric - analytic[i]) / max(1e-2, abs(numeric) + abs(analytic[i]))
            worst = max(worst, error)
            checked += 1
        }
        #expect(checked == values.count)
        #expect(worst < 2e-2, "worst relative error \(worst)")
    }
}
