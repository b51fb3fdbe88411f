import Testing
@testable import LSTMChat

@Suite struct EvaluatorTests {
    static let shapes = [(1, false), (2, false), (1, true), (2, true)]
    /// The corpus and a few questions it does not hold, as held-out pairs.
    static let pairs: [EncodedPair] = smallCorpus + [([5, 4], [6, 7]), ([11], [8]), ([9, 9, 9, 9], [10])]

    /// `eval` answers in batches; its figures are those of greedy answers asked one at a time.
    @Test("exact match and token F1 are those of one-at-a-time greedy answers", arguments: shapes)
    func scoresAreThoseOfGreedyAnswersOneAtATime(layers: Int, attention: Bool) throws {
        let model = try partlyTrainedModel(steps: 40, layers: layers, attention: attention)
        let vocabulary = try Vocabulary(tokens: smallCorpusTokens)
        let answerTokens = Self.pairs.map { vocabulary.decode($0.answer) }
        let evaluation = Evaluator.evaluate(model: model, vocabulary: vocabulary, pairs: Self.pairs, answerTokens: answerTokens,
                                            batchSize: 4, maxAnswerLength: 7)

        var settings = DecodingSettings()

        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
        settings.strategy = .greedy
        settings.maxLength = 7
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        var references: [[Int32]: [[String]]] = [:], order: [[Int32]] = []
        for (pair, answer) in zip(Self.pairs, answerTokens) {
            if references[pair.question] == nil { order.append(pair.question) }
            references[pair.question, default: []].append(answer)
        }
        var right = 0, f1 = 0.0
        for question in order {
            let answer = vocabulary.decode(generator.generate(question).tokens)
            if references[question]!.contains(answer) { right += 1 }
            f1 += AnswerScore.tokenF1(answer, references: references[question]!)
        }
        #expect(evaluation.questions == order.count && evaluation.pairs == Self.pairs.count)
        #expect(evaluation.accuracy == Float(right) / Float(order.count))
        #expect(abs(Double(evaluation.tokenF1) - f1 / Double(order.count)) < 1e-6)
        #expect(right > 0 && right < order.count, "a partly trained model answers some questions right and some wrong")
    }

    /// The loss is taken over pairs sorted by length; it is the same mean over answer tokens.
    @Test("the loss is the mean over every answer token, however the pairs are batched", arguments: [1, 3, 64])
    func lossIsTheMeanOverAnswerTokens(batchSize: Int) throws {
        let model = try partlyTrainedModel(steps: 10)
        let vocabulary = try Vocabulary(tokens: smallCorpusTokens)
        var sum = 0.0, tokens = 0
        for pair in Self.pairs {
            let batch = Seq2SeqBatch(questions: [pair.question], answers: [pair.answer], bos: Vocabulary.bos, eos: Vocabulary.eos)
            sum += Double(model.loss(batch)) * Double(batch.targetTokenCount)
            tokens += batch.targetTokenCount
        }
        let evaluation = Evaluator.evaluate(model: model, vocabulary: vocabulary, pairs: Self.pairs,
                                            answerTokens: Self.pairs.map { vocabulary.decode($0.answer) }, batchSize: batchSize)
        #expect(abs(Double(evaluation.loss) - sum / Double(tokens)) < 1e-5)
    }
}
