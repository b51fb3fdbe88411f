import Testing
@testable import LSTMChat

@Suite struct BatchedGreedyTests {
    static let shapes = [(1, false), (2, false), (1, true), (2, true)]
    /// The corpus's questions, some it does not hold, and an empty one.
    static let questions: [[Int32]] = smallCorpus.map(\.question) + [[5, 4], [11], [9, 9, 9, 9], [], [10, 10, 6, 7, 4]]
    static let maxLength = 7

    static func oneAtATime(_ model: Seq2SeqModel, maxLength: Int = maxLength) -> [[Int32]] {
        var settings = DecodingSettings()
        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
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
        let cut = BatchedGreedy.answers(model: model, questions: Self.questions, maxLength: Self.maxLength, batchSize: 4, keepGoing: { q, answer in
            q % 2 == 1 || answer.count < 2
        })
        for (q, answer) in cut.enumerated() {
            #expect(answer == (q % 2 == 1 ? full[q] : Array(full[q].prefix(2))))
        }
        #expect(full.filter { $0.count > 2 }.count >= 4, "answers long enough to be cut")
    }
}

@Suite struct BatchedGreedyPaddingTests {
    /// Questions of 1 to 23 tokens in one batch: every row's padding (encoder lengths, attention
    /// over its own question's real tokens only) leaves its answer that of the question alone, on a
    /// model of realistic width where the products take their blocked paths.
    @Test("batched answers to questions of mixed lengths are the answers to each alone", arguments: [false, true])
    func mixedLengthsGiveTheSingleQuestionAnswers(attention: Bool) {
        let config = ModelConfig(vocabSize: 60, embedSize: 32, hiddenSize: 64, layers: 2, attention: attention)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 11, hiddenSize: config.hiddenSize)
        var random = Xoshiro256(seed: 4)
        let questions: [[Int32]] = (0..<40).map { i in (0..<(1 + (i * 7) % 23)).map { _ in Int32(4 + random.next() % 56) } }
        var settings = DecodingSettings()
        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
        settings.maxLength = 30
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        // A random model rarely ends an answer: raise <eos>'s bias until answers end at several lengths.
        var tested = false
        // <eos>'s weights made large, so that whether it wins depends much on the state.
        let H = config.hiddenSize, weights = model.parameters.value("proj.weight")
        for i in 0..<H { weights[Int(Vocabulary.eos) * H + i] *= 20 }
        for bias in stride(from: Float(-6), through: 6, by: 0.1) {
            model.parameters.value("proj.bias")[Int(Vocabulary.eos)] = bias
            let alone = questions.map { generator.generate($0).tokens }
            guard Set(alone.map(\.count)).count >= 3 else { continue }
            let batched = BatchedGreedy.answers(model: model, questions: questions, maxLength: 30, batchSize: 16)
            #expect(batched == alone)
            tested = true
            break
        }
        #expect(tested, "answers of several lengths")
        #expect(Set(questions.map(\.count)).count >= 10)
    }
}
