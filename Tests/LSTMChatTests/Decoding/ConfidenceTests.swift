import Foundation
import Testing
@testable import LSTMChat

private func randomModel(seed: UInt64, vocabSize: Int = 12, layers: Int = 1, attention: Bool = false) -> Seq2SeqModel {
    let config = ModelConfig(vocabSize: vocabSize, embedSize: 6, hiddenSize: 8, layers: layers, attention: attention)
    let model = Seq2SeqModel(config: config)
    model.parameters.initialize(seed: seed, hiddenSize: config.hiddenSize)
    return model
}

private let questions: [[Int32]] = [[4, 5, 6], [7], [8, 9, 10, 11, 4], [1, 5], [1, 1]]

@Suite struct AnswerConfidenceTests {
    @Test("the confidence is exp(−mean entropy of the first 3 steps) × the share of known words",
          arguments: [(1, false), (2, false), (1, true), (2, true)] as [(UInt64, Bool)])
    func confidenceIsTheProductOfItsTwoFactors(seed: UInt64, attention: Bool) {
        let session = InferenceSession(model: randomModel(seed: seed, layers: Int(seed), attention: attention))
        let V = session.vocabSize
        for question in questions {
            // The entropies again, from the logits of the greedy path written out here.
            session.encode(question, rows: 1)
            var token: Int32 = 2, entropies: [Double] = []
            for _ in 0..<AnswerConfidence.steps {
                let z = Array(session.step([token]))
                let allowed = (0..<V).filter { ![0, 1, 2].contains($0) }
                let m = allowed.map { Double(z[$0]) }.max()!
                let sum = allowed.map { exp(Double(z[$0]) - m) }.reduce(0, +)
                let p = allowed.map { exp(Double(z[$0]) - m) / sum }
                entropies.append(-p.map { $0 * log($0) }.reduce(0, +))
                token = Int32(allowed[p.indices.max { p[$0] < p[$1] }!])
                if token == 3 { break }
            }
            let known = Double(question.filter { $0 != 1 }.count) / Double(question.count)
            let expected = exp(-entropies.reduce(0, +) / Double(entropies.count)) * known
            let confidence = AnswerConfidence.of(question, session: session)
            #expect(abs(Double(confidence) - expected) < 1e-5, "\(question)")
            #expect(confidence >= 0 && confidence <= 1)
        }
    }

    @Test func aQuestionOfUnknownWordsOrNoneHasNoConfidence() {
        let session = InferenceSession(model: randomModel(seed: 3))
        #expect(AnswerConfidence.of([1, 1, 1], session: session) == 0)
        #expect(AnswerConfidence.of([], session: session) == 0)
    }

    /// The signals come from batches of questions; they are those of each question asked alone.
    @Test(arguments: [(10, false), (10, true), (40, false), (40, true)])
    func theSignalsMeasureTheGreedyAnswerAndTheSameConfidence(trainingSteps: Int, attention: Bool) throws {
        let model = try partlyTrainedModel(steps: trainingSteps, attention: attention)
        var settings = DecodingSettings()
        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
        settings.maxLength = 8
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        let session = InferenceSession(model: model)
        let asked = questions + smallCorpus.map(\.question)
        let memory = QuestionMemory(questions: smallCorpus.map(\.question), session: session)
        let known = KnownQuestions(smallCorpus.map(\.question))
        let measured = ConfidenceSignals.measure(asked, model: model, memory: memory, maxLength: 8, knownQuestions: known)
        #expect(measured.count == asked.count)
        for (question, (signals, answer)) in zip(asked, measured) {
            let greedy = generator.generate(question)
            #expect(answer.tokens == greedy.tokens && answer.finished == greedy.finished)
            #expect(abs(answer.logProbability - greedy.logProbability) < 1e-4)
            #expect(abs(signals.meanLogProbability - greedy.logProbability / Float(greedy.length)) < 1e-4)
            #expect(signals.isKnownQuestion == known.contains(question))
            #expect(abs(signals.confidence - AnswerConfidence.of(question, session: session, knownQuestions: known, maxLength: 8)) < 1e-5)
            let (entropies, chosen) = AnswerConfidence.firstSteps(question, session: session, specials: .standard, count: 8)
            #expect(abs(signals.firstStepCertainty + entropies[0]) < 1e-5)
            #expect(abs(signals.leastLogProbability - chosen.map(\.logP).min()!) < 1e-5)
            session.encode(question, rows: 1)
            #expect(abs(signals.nearestQuestion! - memory.nearestSimilarity(session.questionState())) < 1e-5)
        }
        // Answers of several lengths: rows leave the batch at several steps.
        #expect(Set(measured.map(\.answer.tokens.count)).count >= 2)
    }

    /// A known question is judged by how well it is known: at least its greedy answer's mean token
    /// probability. A question with four answers of four tokens starts with a wide distribution
    /// (four first words); as a known question it is not judged by that.
    @Test(arguments: [false, true])
    func aKnownQuestionWithSeveralAnswersIsJudgedByHowWellItIsKnown(attention: Bool) throws {
        let pairs: [EncodedPair] = [([4], [5, 6, 7, 8]), ([4], [6, 7, 8, 9]), ([4], [7, 8, 9, 10]), ([4], [8, 9, 10, 11]),
                                    ([5, 6], [9]), ([7], [10, 11]), ([8, 9], [4, 5, 6])]
        let config = ModelConfig(vocabSize: smallCorpusTokens.count, embedSize: 8, hiddenSize: 16, layers: 1, attention: attention)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 2, hiddenSize: config.hiddenSize)
        var training = TrainingSettings()
        training.learningRate = 0.03; training.dropout = 0; training.seed = 2
        let trainer = Trainer(model: model, settings: training)
        let batch = Seq2SeqBatch(questions: pairs.map(\.question), answers: pairs.map(\.answer), bos: Vocabulary.bos, eos: Vocabulary.eos)
        for _ in 0..<300 { _ = try trainer.step(batch) }

        let session = InferenceSession(model: model), known = KnownQuestions(pairs.map(\.question))
        var settings = DecodingSettings()
        settings.maxRepeats = 0
        settings.maxLength = 60
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        for question in known.questions + [[9, 9], [11, 4]] {
            let unknown = AnswerConfidence.of(question, session: session)
            let judged = AnswerConfidence.of(question, session: session, knownQuestions: known)
            let greedy = generator.generate(question)
            let expected = known.contains(question) ? max(unknown, exp(greedy.logProbability / Float(greedy.length))) : unknown
            #expect(abs(judged - expected) < 1e-5, "\(question)")
        }
        let several = AnswerConfidence.of([4], session: session, knownQuestions: known)
        #expect(several > AnswerConfidence.of([4], session: session), "four answers do not make it less known")
    }

    @Test func aTrainingQuestionIsItsOwnNearestNeighbour() {
        let session = InferenceSession(model: randomModel(seed: 5, layers: 2))
        let memory = QuestionMemory(questions: questions + [questions[0]], session: session)
        #expect(memory.count == questions.count)  // each distinct question once
        #expect(memory.dimension == 16)
        for question in questions {
            session.encode(question, rows: 1)
            #expect(abs(memory.nearestSimilarity(session.questionState()) - 1) < 1e-5)
        }
        #expect(QuestionMemory(dimension: 16, states: []).nearestSimilarity([Float](repeating: 1, count: 16)) == -1)
    }
}

@Suite struct AreaUnderCurveTests {
    @Test("AUC", arguments: [
        ([3, 4, 5], [0, 1, 2], 1.0), ([0, 1], [2, 3], 0.0), ([1, 1], [1, 1], 0.5),
        ([2, 0], [1], 0.5), ([1, 2, 3], [2], 0.5), ([5], [1, 5, 9], 0.5),
    ] as [([Float], [Float], Double)])
    func areaUnderCurve(positives: [Float], negatives: [Float], expected: Double) {
        #expect(LSTMChat.areaUnderCurve(positives: positives, negatives: negatives) == expected)
    }
}

@Suite struct ConfidenceCalibrationTests {
    static let unrelated: [Float] = [0.05, 0.1, 0.2, 0.3, 0.6]
    static let reworded = [(0.15, true), (0.25, true), (0.4, true), (0.5, false), (0.7, true),
                           (0.12, false), (0.8, true), (0.9, false), (0.35, false), (0.95, true)]
        .map { ScoredQuestion(confidence: $0.0, right: $0.1) }
    static let corpus = (0..<200).map { ScoredQuestion(confidence: $0 < 2 ? 0.22 : 0.9, right: $0 != 199) }

    @Test func theTradeoffCountsWhatIsRefusedAndWhatIsStillAnsweredRight() {
        let t = ConfidenceTradeoff(threshold: 0.3, unrelated: Self.unrelated, reworded: Self.reworded, corpus: Self.corpus)
        #expect(t.unrelatedRefused == 0.6)       // 0.05, 0.1, 0.2; 0.3 is answered (at least the threshold)
        #expect(t.rewordedRight == 0.6)          // 6 of 10 right
        #expect(t.rewordedRightAnswered == 0.4)  // the right ones at 0.15 and 0.25 get the fallback
        #expect(abs(t.rewordedPointsLost - 20) < 1e-9)
        #expect(t.corpusRight == 199.0 / 200)
        #expect(abs(t.corpusRightKept - 197.0 / 199) < 1e-12)
    }

    @Test func theChosenThresholdRefusesTheMostUnrelatedWithinTheLimits() throws {
        func choose(corpusKept: Double = ConfidenceCalibration.corpusKept, points: Double = ConfidenceCalibration.rewordedPointsLost) throws -> Float {
            try #require(ConfidenceCalibration.choose(unrelated: Self.unrelated, reworded: Self.reworded, corpus: Self.corpus,
                                                      corpusKept: corpusKept, rewordedPointsLost: points))
        }
        // One right reworded answer is 10 points: at 5, none may go, so the threshold stays at or
        // below 0.15; it refuses 0.05 and 0.1, placed midway from 0.1 to the next question, 0.12.
        #expect(abs(try choose() - 0.11) < 1e-6)
        // At 10 points the one at 0.15 may go: it refuses 0.2 too, midway to the corpus's 0.22.
        #expect(abs(try choose(points: 10) - 0.21) < 1e-6)
        // At 25 points refusing 0.3 would cost the corpus's two right answers at 0.22 (1% of 199)…
        #expect(abs(try choose(points: 25) - 0.21) < 1e-6)
        // …which 98% allows: midway from 0.3 to 0.35.
        #expect(abs(try choose(corpusKept: 0.98, points: 25) - 0.325) < 1e-6)
    }

    @Test func noUnrelatedQuestionsOrNoRoomChoosesNoThreshold() {
        #expect(ConfidenceCalibration.choose(unrelated: [], reworded: Self.reworded, corpus: Self.corpus) == nil)
        let corpus = [ScoredQuestion(confidence: 0.01, right: true)]
        #expect(ConfidenceCalibration.choose(unrelated: [0.5], reworded: [], corpus: corpus) == nil)
    }
}
