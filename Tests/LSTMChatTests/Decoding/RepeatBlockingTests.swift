import Testing
@testable import LSTMChat

/// Whether `tokens` says a run of 1…4 tokens more than `maxRepeats` times in a row somewhere
/// (a run of `exempt` tokens alone aside).
private func stutters(_ tokens: [Int32], maxRepeats: Int, exempt: Set<Int32> = []) -> Bool {
    for u in 1...RepeatBlocking.maxUnit {
        let span = (maxRepeats + 1) * u
        guard tokens.count >= span else { continue }
        for start in 0...(tokens.count - span) {
            let unit = tokens[start..<(start + u)]
            if unit.allSatisfy(exempt.contains) { continue }
            if (1...maxRepeats).allSatisfy({ k in tokens[(start + k * u)..<(start + (k + 1) * u)].elementsEqual(unit) }) { return true }
        }
    }
    return false
}

/// Whether some n-gram occurs twice in `tokens`.
private func repeatsAnNgram(_ tokens: [Int32], n: Int) -> Bool {
    guard tokens.count >= n else { return false }
    var seen = Set<ArraySlice<Int32>>()
    for start in 0...(tokens.count - n) where !seen.insert(tokens[start..<(start + n)]).inserted { return true }
    return false
}

@Suite struct RepeatBlockingTests {
    @Test func aThirdRepeatOfARunIsForbidden() {
        let blocking = RepeatBlocking(maxRepeats: 2, ngram: 0)
        #expect(blocking.forbidden(after: [9, 7, 7]) == [7])
        #expect(blocking.forbidden(after: [7]).isEmpty)
        #expect(blocking.forbidden(after: [5, 6, 5, 6, 5]) == [6])        // "5 6" a third time
        #expect(blocking.forbidden(after: [5, 6, 5, 6]).isEmpty)           // "5 6 5 6 5" is not three times
        #expect(blocking.forbidden(after: [4, 5, 6, 4, 5, 6, 4, 5]) == [6])
        // Marks may run on: "` ` `" opens code.
        #expect(RepeatBlocking(maxRepeats: 2, ngram: 0, exempt: [7]).forbidden(after: [7, 7]).isEmpty)
        #expect(RepeatBlocking(maxRepeats: 2, ngram: 0, exempt: [7]).forbidden(after: [5, 7, 5, 7, 5]) == [7])
        #expect(RepeatBlocking(maxRepeats: 0, ngram: 0).forbidden(after: [7, 7, 7]).isEmpty)
    }

    @Test func anNgramAlreadySaidCannotBeCompleted() {
        let blocking = RepeatBlocking(maxRepeats: 0, ngram: 3)
        #expect(blocking.forbidden(after: [1, 2, 3, 1, 2]) == [3])
        #expect(Set(blocking.forbidden(after: [1, 2, 3, 1, 2, 4, 1, 2])) == [3, 4])
        #expect(blocking.forbidden(after: [1, 2, 3, 2, 1]).isEmpty)
        #expect(RepeatBlocking(maxRepeats: 0, ngram: 1).forbidden(after: [4, 5]).sorted() == [4, 5])
    }

    /// The forbidden tokens are exactly those whose addition would stutter or repeat an n-gram.
    @Test("forbidden is the definition, on random answers", arguments: [(2, 0), (1, 0), (3, 0), (0, 2), (0, 3), (2, 3)])
    func forbiddenMatchesTheDefinition(maxRepeats: Int, ngram: Int) {
        var random = Xoshiro256(seed: UInt64(maxRepeats * 10 + ngram))
        let exempt: Set<Int32> = [3]
        let blocking = RepeatBlocking(maxRepeats: maxRepeats, ngram: ngram, exempt: exempt)
        var forbade = 0
        for _ in 0..<400 {
            // Short alphabets repeat often.
            let answer = (0..<Int(random.next() % 12)).map { _ in Int32(random.next() % 4) }
            guard !(maxRepeats > 0 && stutters(answer, maxRepeats: maxRepeats, exempt: exempt)),
                  !(ngram > 0 && repeatsAnNgram(answer, n: ngram)) else { continue }
            let forbidden = Set(blocking.forbidden(after: answer))
            for x in Int32(0)..<4 {
                let next = answer + [x]
                let bad = (maxRepeats > 0 && stutters(next, maxRepeats: maxRepeats, exempt: exempt))
                    || (ngram > 0 && repeatsAnNgram(next, n: ngram))
                #expect(forbidden.contains(x) == bad, "\(answer) + \(x)")
            }
            forbade += forbidden.count
        }
        #expect(forbade > 5)
    }
}

/// Every strategy blocks stutters and repeated n-grams, and leaves answers without them alone.
@Suite struct RepeatBlockingStrategyTests {
    static let questions: [[Int32]] = [[4, 5, 6], [7], [8, 9, 10, 11, 4], [5], [6, 6], [9, 4], [10], [11, 7, 5]]

    static func generator(seed: UInt64, _ configure: (inout DecodingSettings) -> Void) -> AnswerGenerator {
        let config = ModelConfig(vocabSize: 12, embedSize: 6, hiddenSize: 8, layers: 1, attention: seed % 2 == 0)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: seed, hiddenSize: config.hiddenSize)
        var settings = DecodingSettings()
        settings.maxLength = 16
        settings.seed = 3
        configure(&settings)
        return AnswerGenerator(session: InferenceSession(model: model), settings: settings)
    }

    @Test("no answer stutters, and answers that did not are unchanged", arguments: DecodingSettings.Strategy.allCases)
    func noStutter(strategy: DecodingSettings.Strategy) {
        var changed = 0
        for seed: UInt64 in 1...12 {
            let free = Self.generator(seed: seed) { $0.strategy = strategy; $0.maxRepeats = 0 }
            let blocked = Self.generator(seed: seed) { $0.strategy = strategy }
            for q in Self.questions {
                let a = free.generate(q, count: 2), b = blocked.generate(q, count: 2)
                for answer in b { #expect(!stutters(answer.tokens, maxRepeats: 2), "\(answer.tokens)") }
                if strategy == .greedy, !stutters(a[0].tokens, maxRepeats: 2) { #expect(a[0].tokens == b[0].tokens) }
                if a.map(\.tokens) != b.map(\.tokens) { changed += 1 }
            }
        }
        #expect(changed >= 5, "the random models do stutter when let")
    }

    @Test("no n-gram twice with block_ngram_repeat", arguments: DecodingSettings.Strategy.allCases, [2, 3])
    func noRepeatedNgram(strategy: DecodingSettings.Strategy, n: Int) {
        var wouldRepeat = 0
        for seed: UInt64 in 1...12 {
            let free = Self.generator(seed: seed) { $0.strategy = strategy; $0.maxRepeats = 0 }
            let blocked = Self.generator(seed: seed) { $0.strategy = strategy; $0.maxRepeats = 0; $0.blockNgramRepeat = n }
            for q in Self.questions {
                for answer in blocked.generate(q, count: 2) { #expect(!repeatsAnNgram(answer.tokens, n: n), "\(answer.tokens)") }
                if free.generate(q, count: 2).contains(where: { repeatsAnNgram($0.tokens, n: n) }) { wouldRepeat += 1 }
            }
        }
        #expect(wouldRepeat >= 5)
    }
}
