import Testing
@testable import LSTMChat

@Suite struct ExactMatchProbeTests {
    /// The probe stops an answer once it cannot be right; its figure is that of whole answers.
    @Test("the exact match is that of the whole greedy answers", arguments: [0, 20, 40, 80])
    func exactMatchIsThatOfTheWholeAnswers(steps: Int) throws {
        let model = try partlyTrainedModel(steps: steps, attention: true)
        let probe = ExactMatchProbe(pairs: smallCorpus, shownCount: 2)
        let whole = BatchedGreedy.answers(model: model, questions: probe.questions, maxLength: 40)
        let right = zip(whole, probe.references).filter { $1.contains($0) }.count
        let result = probe.measure(model)
        #expect(result.exactMatch == Float(right) / Float(probe.questions.count))
        #expect(result.samples.map(\.question) == probe.shown.map { probe.questions[$0] })
        // Shown answers run on to <eos> or one token past the longest reference (5 tokens).
        #expect(result.samples.map(\.answer) == probe.shown.map { Array(whole[$0].prefix(6)) }, "shown answers are whole")
    }

    @Test func aPartlyTrainedModelAnswersSomeOfItsQuestions() throws {
        let probe = ExactMatchProbe(pairs: smallCorpus)
        let exactMatch = probe.measure(try partlyTrainedModel(steps: 40, attention: true)).exactMatch
        #expect(exactMatch > 0 && exactMatch < 1)
    }
}

/// One definition of exact match: the per-epoch figure, `eval`'s and one-at-a-time greedy
/// answers against whole references agree.
@Suite struct ExactMatchDefinitionTests {
    /// Answers of up to 9 tokens, some of them longer than the 4 tokens training cuts them to.
    static let pairs: [EncodedPair] = [
        ([4, 5], [6, 7, 8, 9, 10, 11, 4]), ([5, 6, 7], [8]), ([8], [9, 10, 11]), ([9, 10], [4, 5, 6, 7, 8, 9, 10, 11, 4]),
        ([11, 4, 5], [5, 6, 7, 8, 9]), ([6], [7, 8, 9]), ([7, 7], [10, 11]), ([10, 9, 8], [4, 4, 5]), ([4, 5], [6, 8]),
        ([8], [11]), ([4], [5, 6, 7, 8, 9, 10]), ([11, 10], [9, 8, 7, 6, 5]),
    ]
    static let trainingLength = 4

    /// A model trained on the pairs cut to `trainingLength` answer tokens, as `train --max-length 4` would.
    static func trainedOnCutAnswers(steps: Int, attention: Bool) throws -> Seq2SeqModel {
        let config = ModelConfig(vocabSize: smallCorpusTokens.count, embedSize: 8, hiddenSize: 16, layers: 1, attention: attention)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 5, hiddenSize: config.hiddenSize)
        var settings = TrainingSettings()
        settings.learningRate = 0.03; settings.dropout = 0; settings.seed = 5
        let trainer = Trainer(model: model, settings: settings)
        let cut = Batcher.truncate(pairs, maxLength: trainingLength).pairs
        let batch = Seq2SeqBatch(questions: cut.map(\.question), answers: cut.map(\.answer), bos: Vocabulary.bos, eos: Vocabulary.eos)
        for _ in 0..<steps { _ = try trainer.step(batch) }
        return model
    }

    @Test("the per-epoch figure over all questions is eval's, and that of one-at-a-time answers to whole references",
          arguments: [30, 80, 200], [false, true])
    func perEpochFigureIsEvals(steps: Int, attention: Bool) throws {
        let model = try Self.trainedOnCutAnswers(steps: steps, attention: attention)
        let vocabulary = try Vocabulary(tokens: smallCorpusTokens)
        let perEpoch = ExactMatchProbe(pairs: Self.pairs, limit: 0).measure(model).exactMatch
        let eval = Evaluator.evaluate(model: model, vocabulary: vocabulary, pairs: Self.pairs,
                                      answerTokens: Self.pairs.map { vocabulary.decode($0.answer) }, maxAnswerLength: 3)
        #expect(perEpoch == eval.accuracy)

        // By hand: one question at a time, answers of up to 50 tokens, whole references.
        var settings = DecodingSettings()
        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
        settings.maxLength = 50
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        var references: [[Int32]: Set<[Int32]>] = [:]
        for pair in Self.pairs { references[pair.question, default: []].insert(pair.answer) }
        let right = references.keys.count(where: { references[$0]!.contains(generator.generate($0).tokens) })
        #expect(perEpoch == Float(right) / Float(references.count))

        // The answers cut in training are not counted as right: the model's answer to them is
        // the cut one (it was taught to stop there), which is not the corpus's answer.
        let cutQuestions = Self.pairs.filter { $0.answer.count > Self.trainingLength }.map(\.question)
        let answeredAsCut = cutQuestions.count(where: { q in
            references[q]!.contains { $0.count > Self.trainingLength && generator.generate(q).tokens == Array($0.prefix(Self.trainingLength)) }
        })
        if steps == 200 { #expect(answeredAsCut >= 2, "the trained model gives cut answers, which must not count") }
    }
}
