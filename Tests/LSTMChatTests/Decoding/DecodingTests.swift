import Foundation
import Testing
@testable import LSTMChat

/// Random models, small enough that the properties can be checked on many questions.
private func randomModel(seed: UInt64, vocabSize: Int = 12, layers: Int = 1, attention: Bool = false) -> Seq2SeqModel {
    let config = ModelConfig(vocabSize: vocabSize, embedSize: 6, hiddenSize: 8, layers: layers, attention: attention)
    let model = Seq2SeqModel(config: config)
    model.parameters.initialize(seed: seed, hiddenSize: config.hiddenSize)
    return model
}

private func generator(seed: UInt64, attention: Bool = false, _ configure: (inout DecodingSettings) -> Void = { _ in }) -> AnswerGenerator {
    var settings = DecodingSettings()
    settings.maxRepeats = 0  // the model's own answers, no repeat blocking
    settings.maxLength = 8
    configure(&settings)
    return AnswerGenerator(session: InferenceSession(model: randomModel(seed: seed, attention: attention)), settings: settings)
}

private let questions: [[Int32]] = [[4, 5, 6], [7], [8, 9, 10, 11, 4], []]

@Suite struct TokenDistributionTests {
    static let logits: [Float] = [0.3, -1.2, 2.0, 0.9, 1.7, -0.4, 0.0, 1.1]
    static let open = [Float](repeating: 0, count: logits.count)

    static func candidates(temperature: Float = 1, topK: Int = 0, topP: Float = 1, mask: [Float] = open) -> (ids: [Int32], probabilities: [Float]) {
        let V = logits.count
        var ids = [Int32](repeating: 0, count: V), probabilities = [Float](repeating: 0, count: V), weights = [Float](repeating: 0, count: V)
        let n = TokenDistribution.samplingCandidates(logits, mask: mask, count: V, temperature: temperature, topK: topK, topP: topP,
                                                     ids: &ids, probabilities: &probabilities, weights: &weights)
        return (Array(ids[..<n]), Array(probabilities[..<n]))
    }

    static func softmax(_ x: [Float]) -> [Float] {
        let m = x.max()!, e = x.map { exp($0 - m) }, s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// The ids from most to least likely.
    static let ranking: [Int32] = logits.indices.sorted { logits[$0] > logits[$1] }.map { Int32($0) }

    @Test("top-p keeps the smallest most-likely set with mass at least p", arguments: [0.05, 0.3, 0.5, 0.75, 0.9, 0.99] as [Float])
    func topPIsTheSmallestSetWithEnoughMass(p: Float) {
        let (ids, _) = Self.candidates(topP: p)
        let probabilities = Self.softmax(Self.logits)
        #expect(ids == Array(Self.ranking.prefix(ids.count)))
        let mass = ids.map { probabilities[Int($0)] }.reduce(0, +)
        let massWithoutLast = ids.dropLast().map { probabilities[Int($0)] }.reduce(0, +)
        #expect(mass >= p)
        #expect(massWithoutLast < p)
    }

    @Test("top-k keeps exactly the k most likely", arguments: [1, 2, 3, 5, 8, 20])
    func topKKeepsTheKMostLikely(k: Int) {
        let (ids, probabilities) = Self.candidates(topK: k)
        #expect(ids == Array(Self.ranking.prefix(k)))
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
    }

    @Test func topPAppliesAfterTopK() {
        // Within the top 3, renormalised, the two most likely already hold more than 0.6.
        let (ids, _) = Self.candidates(topK: 3, topP: 0.6)
        #expect(ids == Array(Self.ranking.prefix(2)))
    }

    @Test func maskedTokensAreNeverCandidates() {
        var mask = Self.open
        mask[2] = -.infinity
        mask[4] = -.infinity
        let (ids, probabilities) = Self.candidates(mask: mask)
        #expect(!ids.contains(2) && !ids.contains(4))
        #expect(ids.count == Self.logits.count - 2)
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
    }

    @Test func aTinyTemperatureLeavesOnlyTheMostLikely() {
        let (ids, probabilities) = Self.candidates(temperature: 1e-30)
        #expect(ids.first == Self.ranking[0])
        #expect(probabilities.first == 1)
    }

    @Test func logSoftmaxIsStableForHugeLogits() {
        let logits: [Float] = [1e30, 1e30, -1e30], mask: [Float] = [0, 0, 0]
        var out = [Float](repeating: 0, count: 3)
        TokenDistribution.logSoftmax(logits, mask: mask, count: 3, into: &out)
        #expect(out.allSatisfy { !$0.isNaN })
        #expect(abs(out[0] - log(Float(0.5))) < 1e-5)
    }
}

@Suite struct AnswerGeneratorTests {
    @Test("temperature near 0 samples the greedy answer", arguments: [1, 2, 3] as [UInt64], [false, true])
    func coldSamplingIsGreedy(seed: UInt64, attention: Bool) {
        let greedy = generator(seed: seed, attention: attention)
        let cold = generator(seed: seed, attention: attention) { $0.strategy = .sample; $0.temperature = 1e-6; $0.seed = 9 }
        for question in questions {
            let a = greedy.generate(question), b = cold.generate(question)
            #expect(a.tokens == b.tokens)
            #expect(abs(a.logProbability - b.logProbability) < 1e-4)
        }
    }

    @Test("top-k sampling picks only among the k most likely", arguments: [1, 2, 3])
    func topKSamplingStaysInTheTopK(k: Int) {
        // Replays each sampled answer through the model and checks every token's rank.
        let model = randomModel(seed: 4)
        var settings = DecodingSettings()
        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
        settings.strategy = .sample
        settings.topK = k
        settings.temperature = 2  // flat, so that sampling strays as far as it may
        settings.seed = 5
        settings.maxLength = 8
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        let replay = InferenceSession(model: model)
        let forbidden: Set<Int32> = [0, 1, 2]
        for question in questions {
            for answer in generator.generate(question, count: 6) {
                replay.encode(question, rows: 1)
                var previous: Int32 = 2
                for token in answer.tokens + (answer.finished ? [3] : []) {
                    let logits = Array(replay.step([previous]))
                    let allowed = logits.indices.filter { !forbidden.contains(Int32($0)) }
                    let rank = allowed.filter { logits[$0] > logits[Int(token)] }.count
                    #expect(rank < k)
                    previous = token
                }
            }
        }
    }

    @Test(arguments: [false, true])
    func beamOfWidthOneIsGreedy(attention: Bool) {
        for seed: UInt64 in 1...5 {
            let greedy = generator(seed: seed, attention: attention)
            let beam = generator(seed: seed, attention: attention) { $0.strategy = .beam; $0.beamWidth = 1 }
            for question in questions {
                let a = greedy.generate(question), b = beam.generate(question)
                #expect(a.tokens == b.tokens)
                #expect(abs(a.logProbability - b.logProbability) < 1e-4)
            }
        }
    }

    @Test("the best beam scores at least as well as greedy", arguments: [2, 3, 5], [false, true])
    func beamIsNeverWorseThanGreedy(width: Int, attention: Bool) {
        // Beam search alone loses the greedy answer now and then (on a few of these models it
        // would); the greedy row in its batch makes this hold always.
        for seed: UInt64 in 1...60 {
            let model = randomModel(seed: seed, vocabSize: 30, attention: attention)
            var settings = DecodingSettings()
            settings.maxRepeats = 0  // the model's own answers, no repeat blocking
            settings.maxLength = 12
            let greedy = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
            settings.strategy = .beam
            settings.beamWidth = width
            let beam = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
            let alpha = settings.lengthPenalty
            for question in questions {
                let a = greedy.generate(question), b = beam.generate(question)
                #expect(b.score(lengthPenalty: alpha) >= a.score(lengthPenalty: alpha) - 1e-5)
            }
        }
    }

    @Test func nBestIsDistinctAndBestFirst() {
        let beam = generator(seed: 3) { $0.strategy = .beam; $0.beamWidth = 4; $0.lengthPenalty = 0.7 }
        for question in questions {
            let list = beam.generate(question, count: 4)
            #expect(list.count == 4)
            let scores = list.map { $0.score(lengthPenalty: 0.7) }
            #expect(scores == scores.sorted(by: >))
            #expect(Set(list.map(\.tokens)).count == list.count)
        }
    }

    @Test(arguments: [false, true])
    func theLogProbabilityIsTheModelsProbabilityOfTheAnswer(attention: Bool) {
        // Scoring the beam's answer token by token through a fresh session gives its log P.
        let model = randomModel(seed: 6, attention: attention)
        var settings = DecodingSettings()
        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
        settings.strategy = .beam
        settings.maxLength = 6
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        let replay = InferenceSession(model: model)
        for question in questions {
            let answer = generator.generate(question)
            replay.encode(question, rows: 1)
            var logP: Float = 0, previous: Int32 = 2
            for token in answer.tokens + (answer.finished ? [3] : []) {
                let logits = Array(replay.step([previous]))
                let allowed = logits.indices.filter { $0 > 2 }  // <pad>, <unk>, <bos> cannot be chosen
                let m = allowed.map { logits[$0] }.max()!
                let sum: Float = allowed.map { exp(logits[$0] - m) }.reduce(0, +)
                logP += logits[Int(token)] - m - log(sum)
                previous = token
            }
            #expect(abs(logP - answer.logProbability) < 1e-3)
        }
    }

    @Test func theSameSeedSamplesTheSameAnswers() {
        let sample: (UInt64) -> [[Int32]] = { seed in
            let g = generator(seed: 2) { $0.strategy = .sample; $0.seed = seed; $0.temperature = 1.5 }
            return questions.flatMap { q in g.generate(q, count: 3).map(\.tokens) }
        }
        #expect(sample(11) == sample(11))
        #expect(sample(11) != sample(12))
    }

    @Test func changingTheSeedRestartsTheSamples() {
        let g = generator(seed: 2) { $0.strategy = .sample; $0.seed = 1; $0.temperature = 1.5 }
        let first = g.generate(questions[0], count: 4).map(\.tokens)
        g.settings.seed = 2
        g.settings.seed = 1
        #expect(g.generate(questions[0], count: 4).map(\.tokens) == first)
    }

    @Test("answers never contain <pad>, <bos> or <unk>", arguments: DecodingSettings.Strategy.allCases)
    func specialTokensAreNeverEmitted(strategy: DecodingSettings.Strategy) {
        // A model that prefers the forbidden tokens: their output biases are raised far above the rest.
        for seed: UInt64 in 1...4 {
            let model = randomModel(seed: seed)
            let bias = model.parameters.value("proj.bias")
            for id in [0, 1, 2] { bias[id] += 6 }
            var settings = DecodingSettings()
            settings.maxRepeats = 0  // the model's own answers, no repeat blocking
            settings.strategy = strategy
            settings.seed = seed
            settings.maxLength = 10
            let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
            for question in questions {
                for answer in generator.generate(question, count: 3) {
                    #expect(!answer.tokens.contains { $0 <= 3 })
                    #expect(answer.tokens.count <= 10)
                    #expect(answer.finished || answer.tokens.count == 10)
                }
            }
        }
    }

    @Test func unknownIsEmittedOnlyWhenAllowed() {
        let model = randomModel(seed: 1)
        let bias = model.parameters.value("proj.bias")
        bias[1] += 20  // <unk> dominates everything
        var settings = DecodingSettings()
        settings.maxRepeats = 0  // the model's own answers, no repeat blocking
        settings.maxLength = 3
        settings.allowUnknown = true
        let generator = AnswerGenerator(session: InferenceSession(model: model), settings: settings)
        #expect(generator.generate([4, 5]).tokens == [1, 1, 1])
        generator.settings.allowUnknown = false
        #expect(!generator.generate([4, 5]).tokens.contains(1))
    }

    @Test("answers stop at the maximum length", arguments: [1, 2, 5])
    func maxLengthCutsAnswers(maxLength: Int) {
        let model = randomModel(seed: 1)
        model.parameters.value("proj.bias")[3] -= 30  // <eos> never wins
        for strategy in DecodingSettings.Strategy.allCases {
            var settings = DecodingSettings()
            settings.maxRepeats = 0  // the model's own answers, no repeat blocking
            settings.strategy = strategy
            settings.maxLength = maxLength
            settings.seed = 1
            let answer = AnswerGenerator(session: InferenceSession(model: model), settings: settings).generate([4])
            #expect(answer.tokens.count == maxLength)
            #expect(!answer.finished)
        }
    }

    @Test func summaryNamesTheSettingsInUse() {
        var settings = DecodingSettings()
        settings.strategy = .sample
        settings.temperature = 0.5
        settings.topK = 40
        settings.seed = 7
        #expect(settings.summary == "sample, temperature 0.5, top-k 40, top-p off, max length 400, seed 7")
    }
}
