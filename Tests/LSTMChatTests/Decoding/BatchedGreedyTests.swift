import Testing
@testable import LSTMChat

@Suite struct BatchedGreedyTests {
    static let shapes = [(1, false), (2, false), (1, true), (2, true)]
    /// The corpus's questions, some it does not hold, and an empty one.
    static let questions: [[Int32]] = smallCorpus.map(\.question) + [[5, 4], [11], [9, 9, 9, 9], [], [10, 10, 6, 7, 4]]
    static let maxLength = 7

    static func oneAtATime(_ model: Seq2SeqModel, maxLength: Int = maxLength) -> [[Int32]] {
        var settings = DecodingSettings()
        settings.strategy = .greedy
        settings.maxLength = maxLength
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        return questions.map { generator.generate($0).tokens }
    }

    /// Rows leave the batch as their answers finish; the others' answers do not change.
    @Test("batched answers are the greedy answers asked one at a time", arguments: shapes, [(1, 7), (3, 7), (128, 7), (3, 3)])
    func batchedAnswersAreThoseAskedOneAtATime(shape: (layers: Int, attention: Bool), batch: (size: Int, maxLength: Int)) throws {
        var lengths = Set<Int>()
        for steps in [0, 10, 40] {  // a random model, and the same model trained a little and more
            let model = try partlyTrainedModel(steps: steps, layers: shape.layers, attention: shape.attention)
            let expected = Self.oneAtATime(model, maxLength: batch.maxLength)
            let batched = BatchedGreedy.answers(model: model, questions: Self.questions, maxLength: batch.maxLength, batchSize: batch.size)
            #expect(batched == expected)
            lengths.formUnion(expected.map(\.count))
        }
        // Rows finish at several steps (some at the limit): batches shrink more than once.
        #expect(lengths.count >= 3)
    }

    @Test func anAnswerToldToStopEndsThereAndTheOthersRunOn() throws {
        let model = try partlyTrainedModel(steps: 0)
        let full = BatchedGreedy.answers(model: model, questions: Self.questions, maxLength: Self.maxLength, batchSize: 4)
        let cut = BatchedGreedy.answers(model: model, questions: Self.questions, maxLength: Self.maxLength, batchSize: 4) { q, answer in
            q % 2 == 1 || answer.count < 2
        }
        for (q, answer) in cut.enumerated() {
            #expect(answer == (q % 2 == 1 ? full[q] : Array(full[q].prefix(2))))
        }
        #expect(full.filter { $0.count > 2 }.count >= 4, "answers long enough to be cut")
    }
}
