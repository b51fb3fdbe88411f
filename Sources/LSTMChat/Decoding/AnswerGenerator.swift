import Foundation

/// Turns a question's token ids into answers, one token at a time through an `InferenceSession`,
/// by the strategy of its `settings`:
///
///     let generator = AnswerGenerator(session: InferenceSession(model: model))
///     generator.settings.strategy = .beam
///     let best = generator.generate(questionIDs)              // the best answer
///     let list = generator.generate(questionIDs, count: 3)    // the three best, best first
///
/// Answers stop at `<eos>` or after `settings.maxLength` tokens, and never contain `<pad>`,
/// `<bos>`, or `<unk>` unless `settings.allowUnknown`. Every strategy forbids the tokens that would
/// make an answer stutter or repeat an n-gram (`RepeatBlocking`, by `settings.maxRepeats` and
/// `settings.blockNgramRepeat`). Buffers are made once per question:
/// generating a token allocates nothing.
public final class AnswerGenerator {
    public let session: InferenceSession
    public let specials: SpecialTokenIDs
    public var settings: DecodingSettings {
        didSet { if settings.seed != oldValue.seed { rng = Self.generator(seed: settings.seed) } }
    }
    /// Tokens that may repeat in runs of their own however `settings.maxRepeats` is set: marks
    /// (`RepeatBlocking.marks(in: vocabulary.tokens)`), so that code keeps its ``` and `)))`.
    public var repeatExempt: Set<Int32>
    private var blocking: RepeatBlocking { RepeatBlocking(settings: settings, exempt: repeatExempt) }
    /// Sampling's random numbers: seeded once, then running on from question to question, so
    /// asking the same question twice may give two answers, and the same seed the same two.
    private var rng: Xoshiro256

    public init(session: InferenceSession, specials: SpecialTokenIDs = .standard, settings: DecodingSettings = .init(),
                repeatExempt: Set<Int32> = []) {
        self.session = session
        self.specials = specials
        self.settings = settings
        self.repeatExempt = repeatExempt
        rng = Self.generator(seed: settings.seed)
    }

    private static func generator(seed: UInt64?) -> Xoshiro256 {
        Xoshiro256(seed: seed ?? UInt64.random(in: .min ... .max))
    }

    private var vocabSize: Int { session.vocabSize }

    /// The best answer by the settings' strategy.
    public func generate(_ question: [Int32]) -> GeneratedAnswer {
        generate(question, count: 1)[0]
    }

    /// Up to `count` answers, best first: beam search's n-best list (the beam is at least `count`
    /// wide), or `count` samples ordered by log-probability. Greedy decoding has one answer, so
    /// asking it for more runs beam search instead.
    public func generate(_ question: [Int32], count: Int) -> [GeneratedAnswer] {
        precondition(count > 0 && settings.maxLength > 0)
        switch settings.strategy {
        case .greedy where count == 1: return [greedy(question)]
        case .sample: return sample(question, count: count)
        case .greedy, .beam: return beamSearch(question, width: max(settings.beamWidth, count), count: count)
        }
    }

    /// 0 for the tokens an answer may contain, −∞ for the others.
    private func makeMask() -> [Float] {
        Self.mask(vocabSize: vocabSize, specials: specials, allowUnknown: settings.allowUnknown)
    }

    static func mask(vocabSize: Int, specials: SpecialTokenIDs, allowUnknown: Bool) -> [Float] {
        var mask = [Float](repeating: 0, count: vocabSize)
        var forbidden = [specials.pad, specials.bos]
        if !allowUnknown { forbidden.append(specials.unknown) }
        for id in forbidden where Int(id) < vocabSize && id != specials.eos { mask[Int(id)] = -.infinity }
        return mask
    }

    // MARK: Greedy

    private func greedy(_ question: [Int32]) -> GeneratedAnswer {
        let V = vocabSize, blocking = blocking
        var mask = makeMask()
        session.encode(question, rows: 1)
        var tokens: [Int32] = []
        tokens.reserveCapacity(settings.maxLength)
        var logP: Float = 0, token = specials.bos, input = [token]
        while tokens.count < settings.maxLength {
            input[0] = token
            let z = session.step(input).baseAddress!
            let (chosen, logPToken) = tokens.withUnsafeBufferPointer { answer in
                blocking.masking(&mask, after: answer, eos: specials.eos) { m in
                    let step = TokenDistribution.summary(z, mask: m, count: V)
                    return (step.token, step.logP(z))
                }
            }
            token = chosen
            logP += logPToken
            if token == specials.eos { return GeneratedAnswer(tokens: tokens, logProbability: logP, finished: true) }
            tokens.append(token)
        }
        return GeneratedAnswer(tokens: tokens, logProbability: logP, finished: false)
    }

    // MARK: Sampling

    /// `count` independent samples, one per row of one batch.
    private func sample(_ question: [Int32], count rows: Int) -> [GeneratedAnswer] {
        let V = vocabSize, maxLength = settings.maxLength, blocking = blocking
        var mask = makeMask()
        let temperature = settings.temperature, topK = settings.topK, topP = settings.topP
        session.encode(question, rows: rows)
        var inputs = [Int32](repeating: specials.bos, count: rows)
        var tokens = [[Int32]](repeating: [], count: rows)
        for r in 0..<rows { tokens[r].reserveCapacity(maxLength) }
        var logP = [Float](repeating: 0, count: rows)
        var finished = [Bool](repeating: false, count: rows)
        var ids = [Int32](repeating: 0, count: V)
        var probabilities = [Float](repeating: 0, count: V), weights = [Float](repeating: 0, count: V)

        for _ in 0..<maxLength {
            let logits = session.step(inputs)
            for r in 0..<rows where !finished[r] {
                let z = logits.baseAddress! + r * V
                let token: Int32 = tokens[r].withUnsafeBufferPointer { answer in blocking.masking(&mask, after: answer, eos: specials.eos) { m in
                    let n = TokenDistribution.samplingCandidates(
                        z, mask: m, count: V, temperature: temperature, topK: topK, topP: topP,
                        ids: &ids, probabilities: &probabilities, weights: &weights)
                    let (largest, logSum) = TokenDistribution.normalizer(z, mask: m, count: V)
                    var u = rng.nextFloat(), i = 0
                    while i < n - 1, u >= probabilities[i] {
                        u -= probabilities[i]
                        i += 1
                    }
                    logP[r] += z[Int(ids[i])] - largest - logSum
                    return ids[i]
                } }
                if token == specials.eos {
                    finished[r] = true
                } else {
                    tokens[r].append(token)
                }
                inputs[r] = token  // a finished row runs on, unread, until all are done
            }
            if !finished.contains(false) { break }
        }
        return (0..<rows)
            .map { GeneratedAnswer(tokens: tokens[$0], logProbability: logP[$0], finished: finished[$0]) }
            .sorted { $0.logProbability > $1.logProbability }
    }

    // MARK: Beam search

    /// A partial answer that beam search may extend: row `row`'s prefix plus `token`.
    private struct Candidate {
        var logP: Float
        var row: Int
        var token: Int32
    }

    /// Beam search over `width` rows, plus one more row that decodes greedily alongside, so the
    /// answer is never worse than greedy's (beam search alone can lose the greedy path when
    /// `width` other prefixes outscore it for a step). Returns the `count` best, best first.
    private func beamSearch(_ question: [Int32], width: Int, count: Int) -> [GeneratedAnswer] {
        let V = vocabSize, maxLength = settings.maxLength, alpha = settings.lengthPenalty, eos = specials.eos
        var mask = makeMask()
        let blocking = blocking
        let withGreedy = width > 1  // a beam one wide is greedy already
        let rows = width + (withGreedy ? 1 : 0), greedyRow = width
        session.encode(question, rows: rows)

        var inputs = [Int32](repeating: specials.bos, count: rows)
        var prefixes = [Int32](repeating: 0, count: width * maxLength), nextPrefixes = prefixes  // [width, maxLength]
        // Every row starts from the same state: only row 0 is live at first, or the beam would
        // fill with copies of one answer.
        var scores = [Float](repeating: -.infinity, count: width), nextScores = scores
        scores[0] = 0
        var parents = Array(0..<rows)
        var candidates: [Candidate] = []
        candidates.reserveCapacity(2 * width + 1)
        var logProbabilities = [Float](repeating: 0, count: V)
        var greedyTokens: [Int32] = [], greedyLogP: Float = 0, greedyDone = !withGreedy
        greedyTokens.reserveCapacity(maxLength)
        var answers: [GeneratedAnswer] = []
        // The best `count` finished scores, best first: the last is the bar a new answer must pass.
        var bestScores: [Float] = []
        bestScores.reserveCapacity(count + 1)
        var steps = 0

        func prefix(_ row: Int, length: Int) -> [Int32] { Array(prefixes[(row * maxLength)..<(row * maxLength + length)]) }
        var cutoff: Float { bestScores.count == count ? bestScores[count - 1] : -.infinity }
        /// Keeps a finished answer if it may be among the `count` best (so that only those allocate).
        func keep(row: Int, length: Int, logP: Float, finished: Bool, tokens: [Int32]? = nil) {
            let score = logP / pow(Float(max(1, length + (finished ? 1 : 0))), alpha)
            guard score > cutoff || bestScores.count < count else { return }
            let answer = GeneratedAnswer(tokens: tokens ?? prefix(row, length: length), logProbability: logP, finished: finished)
            // The greedy row may find one of the beam's answers: it counts once.
            guard !answers.contains(where: { $0.tokens == answer.tokens && $0.finished == answer.finished }) else { return }
            var i = bestScores.count
            while i > 0, bestScores[i - 1] < score { i -= 1 }
            bestScores.insert(score, at: i)
            if bestScores.count > count { bestScores.removeLast() }
            answers.append(answer)
        }

        for t in 0..<maxLength {  // t tokens chosen so far
            steps = t + 1
            let logits = session.step(inputs)
            // The 2 × width best extensions (kept sorted, best first): at most `width` of them end
            // with <eos>, so at least `width` live ones remain.
            candidates.removeAll(keepingCapacity: true)
            for r in 0..<width where scores[r] > -.infinity {
                prefixes.withUnsafeBufferPointer { all in
                    let answer = UnsafeBufferPointer(rebasing: all[(r * maxLength)..<(r * maxLength + t)])
                    blocking.masking(&mask, after: answer, eos: eos) { m in
                        logProbabilities.withUnsafeMutableBufferPointer { out in
                            TokenDistribution.logSoftmax(logits.baseAddress! + r * V, mask: m, count: V, into: out.baseAddress!)
                        }
                    }
                }
                for v in 0..<V {
                    let logP = scores[r] + logProbabilities[v]
                    guard logP > -.infinity else { continue }
                    if candidates.count == 2 * width {
                        guard logP > candidates[candidates.count - 1].logP else { continue }
                        candidates.removeLast()
                    }
                    var i = candidates.count
                    while i > 0, candidates[i - 1].logP < logP { i -= 1 }
                    candidates.insert(Candidate(logP: logP, row: r, token: Int32(v)), at: i)
                }
            }

            var live = 0
            for candidate in candidates where live < width {
                if candidate.token == eos {
                    keep(row: candidate.row, length: t, logP: candidate.logP, finished: true)
                    continue
                }
                let from = candidate.row * maxLength, to = live * maxLength
                for i in 0..<t { nextPrefixes[to + i] = prefixes[from + i] }
                nextPrefixes[to + t] = candidate.token
                nextScores[live] = candidate.logP
                parents[live] = candidate.row
                inputs[live] = candidate.token
                live += 1
            }
            for r in live..<width {  // dead rows: still computed with the batch, never read
                nextScores[r] = -.infinity
                parents[r] = 0
                inputs[r] = eos
            }
            swap(&prefixes, &nextPrefixes)
            swap(&scores, &nextScores)

            if !greedyDone {
                let z = logits.baseAddress! + greedyRow * V
                let (token, logPToken) = greedyTokens.withUnsafeBufferPointer { answer in
                    blocking.masking(&mask, after: answer, eos: eos) { m in
                        let step = TokenDistribution.summary(z, mask: m, count: V)
                        return (step.token, step.logP(z))
                    }
                }
                greedyLogP += logPToken
                if token == eos {
                    greedyDone = true
                    keep(row: greedyRow, length: greedyTokens.count, logP: greedyLogP, finished: true, tokens: greedyTokens)
                } else {
                    greedyTokens.append(token)
                    inputs[greedyRow] = token
                }
            }
            session.reorder(parents)

            // Stop when nothing live can still reach the n-best: log P only falls as an answer
            // grows, and the length divides it at most by maxLength^α.
            var bestLive = scores.max()!
            if !greedyDone { bestLive = max(bestLive, greedyLogP) }
            if bestLive == -.infinity || (bestScores.count == count && bestLive / pow(Float(maxLength), alpha) <= cutoff) { break }
        }
        if steps == maxLength {  // cut at the maximum length
            for r in 0..<width where scores[r] > -.infinity { keep(row: r, length: maxLength, logP: scores[r], finished: false) }
            if !greedyDone { keep(row: greedyRow, length: greedyTokens.count, logP: greedyLogP, finished: false, tokens: greedyTokens) }
        }

        return Array(answers.sorted { $0.score(lengthPenalty: alpha) > $1.score(lengthPenalty: alpha) }.prefix(count))
    }
}
