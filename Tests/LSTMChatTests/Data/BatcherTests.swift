import Testing
@testable import LSTMChat

@Suite struct BatcherTests {
    /// Pairs whose question starts with their own index (+ 10, clear of the special ids), with
    /// lengths from 1 to 40 spread by a fixed generator.
    static func pairs(_ count: Int) -> [Batcher.Pair] {
        var generator = Xoshiro256(seed: 7)
        return (0..<count).map { index in
            let questionLength = 1 + generator.index(below: 20), answerLength = 1 + generator.index(below: 20)
            return ([Int32(index + 10)] + Array(repeating: 5, count: questionLength - 1),
                    Array(repeating: 6, count: answerLength))
        }
    }

    /// The batch's questions, read back from its time-major source.
    static func questions(in batch: Seq2SeqBatch) -> [[Int32]] {
        (0..<batch.batchSize).map { b in
            (0..<Int(batch.sourceLengths[b])).map { t in batch.source[t * batch.batchSize + b] }
        }
    }

    /// Long pairs come in smaller batches: at most batchSize × rowTokens tokens, so more steps.
    @Test func longPairsComeInSmallerBatches() {
        let short = (0..<64).map { i in ([Int32(10 + i)], [Int32](repeating: 6, count: 9)) }
        let long = (0..<64).map { i in ([Int32(100 + i)], [Int32](repeating: 6, count: 99)) }
        let batcher = Batcher(pairs: short + long, batchSize: 32, seed: 1)
        let sizes = batcher.batchRows(epoch: 0).map(\.count).sorted()
        // 32 × 16 tokens hold 32 pairs of 10 tokens, but 5 of 100.
        #expect(sizes == [4] + [Int](repeating: 5, count: 12) + [32, 32])
    }

    @Test(arguments: [(1, 1), (7, 3), (100, 10), (1234, 8), (1000, 1000), (5, 64)])
    func everyPairIsInExactlyOneBatchPerEpoch(count: Int, batchSize: Int) {
        let pairs = Self.pairs(count)
        let batcher = Batcher(pairs: pairs, batchSize: batchSize, seed: 42)
        for epoch in 0..<2 {
            let batches = batcher.batches(epoch: epoch)
            // batchSize rows, or fewer when they are long: at most batchSize × rowTokens tokens, the
            // longest pair's length for each row; a batch is cut short only by that limit.
            for rows in batcher.batchRows(epoch: epoch) {
                let longest = rows.map { pairs[$0].question.count + pairs[$0].answer.count }.max()!
                #expect(rows.count <= batchSize)
                #expect(rows.count == 1 || rows.count * longest <= batchSize * Batcher.rowTokens)
            }
            let questions = batches.flatMap(Self.questions(in:))
            #expect(questions.sorted { $0[0] < $1[0] } == pairs.map(\.question))
        }
    }

    @Test func batchesFeedBosAndAnswerAndTargetAnswerAndEos() throws {
        let batcher = Batcher(pairs: [([10, 11], [20, 21, 22])], batchSize: 4, seed: 1)
        let batch = try #require(batcher.batches(epoch: 0).first)
        #expect(batch == Seq2SeqBatch(questions: [[10, 11]], answers: [[20, 21, 22]], bos: Vocabulary.bos, eos: Vocabulary.eos))
        #expect(batch.decoderInputs == [Vocabulary.bos, 20, 21, 22])
        #expect(batch.targets == [20, 21, 22, Vocabulary.eos])
    }

    @Test func orderDependsOnSeedAndEpochOnly() {
        let pairs = Self.pairs(500)
        let rows = { (seed: UInt64, epoch: Int) in Array(Batcher(pairs: pairs, batchSize: 16, seed: seed).batchRows(epoch: epoch)) }
        #expect(rows(42, 3) == rows(42, 3))
        #expect(rows(42, 3) != rows(42, 4))
        #expect(rows(42, 3) != rows(43, 3))
        #expect(Array(Batcher(pairs: pairs, batchSize: 16, seed: 42).batches(epoch: 3))
                == Array(Batcher(pairs: pairs, batchSize: 16, seed: 42).batches(epoch: 3)))
    }

    @Test func rowsOfABatchAreOfSimilarLength() {
        let pairs = Self.pairs(2000)
        let batcher = Batcher(pairs: pairs, batchSize: 20, seed: 3)
        let lengths = pairs.map { $0.question.count + $0.answer.count }
        let spreads = batcher.batchRows(epoch: 0).map { rows in
            rows.map { lengths[$0] }.max()! - rows.map { lengths[$0] }.min()!
        }
        // Lengths run from 2 to 40; 50 batches of a sorted chunk split that range finely.
        #expect(Double(spreads.reduce(0, +)) / Double(spreads.count) < 3)
        // And the batch order is shuffled, not shortest first.
        let firstLengths = batcher.batchRows(epoch: 0).prefix(10).map { lengths[$0[0]] }
        #expect(firstLengths != firstLengths.sorted())
    }

    /// Rows of a batch come longest question first, so the encoder runs each step over a prefix
    /// of them (`LSTMLayer`); ties keep the order of the length sort: shorter answer first.
    @Test func rowsOfABatchComeLongestQuestionFirst() {
        let pairs = Self.pairs(2000)
        let batcher = Batcher(pairs: pairs, batchSize: 20, seed: 3)
        for rows in batcher.batchRows(epoch: 1) {
            for (row, next) in zip(rows, rows.dropFirst()) {
                let (question, nextQuestion) = (pairs[row].question.count, pairs[next].question.count)
                #expect(question > nextQuestion || (question == nextQuestion && pairs[row].answer.count <= pairs[next].answer.count))
            }
        }
        #expect(batcher.batches(epoch: 1).allSatisfy { $0.sourceLengths == $0.sourceLengths.sorted(by: >) })
    }

    /// The rows of one epoch, exactly: pairs of 2 to 40 tokens in batches of at most 8 rows and
    /// 8 × 16 tokens. pytorch/batches.py gives the same rows (`make interop` checks the two agree).
    @Test func theRowsOfAnEpoch() {
        let pairs = Self.pairs(40)
        let rows = Array(Batcher(pairs: pairs, batchSize: 8, seed: 42).batchRows(epoch: 0))
        #expect(rows.map { $0.sorted() } == [
            [0, 7, 11, 18, 35], [8, 10, 12, 14, 21, 22, 30], [3, 4, 9, 13, 15, 28, 36, 39], [20, 33, 34, 37],
            [24, 25, 27, 38], [23, 29, 31], [1, 6, 16], [5, 17, 26, 32], [2, 19],
        ])
        #expect(rows == [
            [0, 11, 7, 18, 35], [12, 22, 21, 8, 14, 10, 30], [4, 39, 36, 9, 28, 15, 3, 13], [33, 20, 37, 34],
            [38, 24, 27, 25], [31, 29, 23], [6, 16, 1], [17, 5, 32, 26], [2, 19],
        ])
    }

    @Test(arguments: [Float(0.1), 0.3])
    func wordDropoutReplacesQuestionWordsByUnknownOnly(p: Float) {
        let pairs = Self.pairs(1000)
        let plain = Batcher(pairs: pairs, batchSize: 16, seed: 42), noisy = Batcher(pairs: pairs, batchSize: 16, seed: 42, wordDropout: p)
        let clean = plain.batches(epoch: 2), dropped = noisy.batches(epoch: 2)
        var words = 0, replaced = 0
        for (a, b) in zip(clean, dropped) {
            #expect(a.targets == b.targets && a.decoderInputs == b.decoderInputs && a.sourceLengths == b.sourceLengths)
            for (x, y) in zip(a.source, b.source) where x != Vocabulary.pad {
                words += 1
                if x != y { replaced += 1; #expect(y == Vocabulary.unknown) }
            }
        }
        // About p of ~10,000 words, well within 5 standard deviations.
        let share = Float(replaced) / Float(words)
        #expect(abs(share - p) < 5 * (p * (1 - p) / Float(words)).squareRoot())
        // The same batches every time an epoch is asked for (resuming), others for another epoch.
        #expect(Array(noisy.batches(epoch: 2)) == Array(dropped))
        #expect(noisy.batches(epoch: 3).map(\.source) != plain.batches(epoch: 3).map(\.source))
    }

    @Test func pairsWithAnEmptySideAreDroppedAndCounted() {
        let batcher = Batcher(pairs: [([10], [11]), ([], [12]), ([13], []), ([14], [15])], batchSize: 2, seed: 0)
        #expect(batcher.droppedEmptyCount == 2)
        #expect((0..<batcher.count).map { batcher.pair($0).question } == [[10], [14]])
        #expect(batcher.batches(epoch: 0).flatMap(Self.questions(in:)).count == 2)
    }

    /// The batches of a flat store's rows, cut when batched, are those the pairs cut beforehand
    /// and batched from arrays give, and those of the batcher as it was before the flat store
    /// (`ArrayBatcher`, kept here as the reference): same rows, same order, same words dropped.
    @Test(arguments: [Float(0), 0.2])
    func batchesOverIndicesEqualThoseOfArrays(wordDropout: Float) {
        let all = Self.pairs(700) + [([], [1]), ([2], [])]
        let rows = Array(stride(from: 0, to: all.count, by: 3)) + [700, 701]
        let maxLength = 6
        let cut = Batcher.truncate(rows.map { all[$0] }, maxLength: maxLength).pairs
        let flat = Batcher(pairs: TokenizedPairs(all), rows: rows, maxLength: maxLength, batchSize: 16, seed: 7, wordDropout: wordDropout)
        let arrays = Batcher(pairs: cut, batchSize: 16, seed: 7, wordDropout: wordDropout)
        let reference = ArrayBatcher(pairs: cut, batchSize: 16, seed: 7, wordDropout: wordDropout)
        #expect(flat.droppedEmptyCount == 2 && flat.count == reference.pairs.count)
        for epoch in 0..<3 {
            let batches = flat.batches(epoch: epoch)
            #expect(Array(batches) == Array(arrays.batches(epoch: epoch)))
            #expect(Array(batches) == reference.batches(epoch: epoch))
            // Any batch made alone, in any order (a resumed run starts mid-epoch), is the same.
            #expect(batches.indices.reversed().map { batches[$0] } == reference.batches(epoch: epoch).reversed())
        }
    }

    @Test(arguments: [(1, 3), (2, 1), (3, 0), (10, 0)])
    func truncateCutsLongSidesAndCountsThePairsCut(maxLength: Int, truncatedCount: Int) {
        let pairs: [Batcher.Pair] = [([1, 2, 3], [4]), ([5], [6, 7]), ([8, 9], [10])]
        let result = Batcher.truncate(pairs, maxLength: maxLength)
        #expect(result.truncatedCount == truncatedCount)
        #expect(result.pairs.map(\.question) == pairs.map { Array($0.question.prefix(maxLength)) })
        #expect(result.pairs.map(\.answer) == pairs.map { Array($0.answer.prefix(maxLength)) })
    }
}

/// The batcher as it was before pairs were stored flat: every epoch's batches made at once from
/// arrays. Kept as the reference that `Batcher` must still agree with.
struct ArrayBatcher {
    let pairs: [Batcher.Pair], batchSize: Int, seed: UInt64, wordDropout: Float

    init(pairs: [Batcher.Pair], batchSize: Int, seed: UInt64, wordDropout: Float) {
        self.pairs = pairs.filter { !$0.question.isEmpty && !$0.answer.isEmpty }
        (self.batchSize, self.seed, self.wordDropout) = (batchSize, seed, wordDropout)
    }

    func batches(epoch: Int) -> [Seq2SeqBatch] {
        var generator = Xoshiro256(seed: seed ^ 0x0D20_9D0F ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        return batchRows(epoch: epoch).map { rows in
            let questions = rows.map { row in
                pairs[row].question.map { wordDropout > 0 && generator.nextFloat() < wordDropout ? Vocabulary.unknown : $0 }
            }
            return Seq2SeqBatch(questions: questions, answers: rows.map { pairs[$0].answer }, bos: Vocabulary.bos, eos: Vocabulary.eos)
        }
    }

    func batchRows(epoch: Int) -> [[Int]] {
        var generator = Xoshiro256(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        var order = Array(pairs.indices)
        order.deterministicShuffle(using: &generator)
        let length = { (i: Int) in pairs[i].question.count + pairs[i].answer.count }
        var rows: [[Int]] = []
        let chunkSize = batchSize * Batcher.batchesPerChunk, budget = batchSize * Batcher.rowTokens
        for chunkStart in stride(from: 0, to: order.count, by: chunkSize) {
            let chunk = order[chunkStart..<min(chunkStart + chunkSize, order.count)]
            let byLength = chunk.enumerated().sorted { (length($0.element), $0.offset) < (length($1.element), $1.offset) }.map(\.element)
            var start = 0
            while start < byLength.count {
                var end = start + 1
                while end < byLength.count, end - start < batchSize, (end - start + 1) * length(byLength[end]) <= budget { end += 1 }
                rows.append(byLength[start..<end].enumerated()
                    .sorted { (-pairs[$0.element].question.count, $0.offset) < (-pairs[$1.element].question.count, $1.offset) }.map(\.element))
                start = end
            }
        }
        rows.deterministicShuffle(using: &generator)
        return rows
    }
}

@Suite struct ClassifierBatcherTests {
    /// Every text is in one batch with its label, and rows of a batch come longest first, so the
    /// LSTM runs each step over a prefix of them.
    @Test func rowsOfABatchComeLongestFirstWithTheirLabels() {
        var generator = Xoshiro256(seed: 11)
        let rows: [ClassifierBatcher.Row] = (0..<100).map { index in
            ([Int32(index + 10)] + Array(repeating: 5, count: generator.index(below: 12)), Int32(index % 3))
        }
        let batches = ClassifierBatcher(rows: rows, batchSize: 16, seed: 4).batches(epoch: 0)
        var seen: [Int] = []
        for batch in batches {
            #expect(batch.lengths == batch.lengths.sorted(by: >))
            for b in 0..<batch.batchSize {
                let index = Int(batch.source[b]) - 10  // the first token of the text
                #expect(batch.lengths[b] == Int32(rows[index].ids.count) && batch.labels[b] == rows[index].label)
                seen.append(index)
            }
        }
        #expect(seen.sorted() == Array(0..<100))
        #expect(batches.contains { Set($0.lengths).count > 2 })  // the order was something to check
    }
}

@Suite struct ValidationSplitTests {
    @Test(arguments: [(10, 0.1, 1), (10, 0.0, 0), (2, 0.01, 1), (1, 0.5, 0), (0, 0.5, 0), (100, 0.25, 25), (3, 0.9, 2)])
    func validationSizeFollowsTheFraction(count: Int, fraction: Double, validationCount: Int) {
        let split = splitForValidation(Array(0..<count), fraction: fraction, seed: 9)
        #expect(split.validation.count == validationCount)
        #expect(split.train.count == count - validationCount)
    }

    @Test func splitIsDeterministicDisjointAndKeepsOrder() {
        let items = Array(0..<200)
        let split = splitForValidation(items, fraction: 0.2, seed: 5)
        #expect(split.train == splitForValidation(items, fraction: 0.2, seed: 5).train)
        #expect(split.validation != splitForValidation(items, fraction: 0.2, seed: 6).validation)
        #expect((split.train + split.validation).sorted() == items)
        #expect(split.train == split.train.sorted() && split.validation == split.validation.sorted())
        #expect(split.validation != Array(split.validation.indices))  // not simply the first items
    }

}

@Suite struct ShuffleTests {
    @Test(arguments: [1, 2, 3, 7, 50])
    func indexBelowStaysInRangeAndReachesEveryValue(bound: Int) {
        var generator = Xoshiro256(seed: UInt64(bound))
        let draws = (0..<2000).map { _ in generator.index(below: bound) }
        #expect(draws.allSatisfy { (0..<bound).contains($0) })
        #expect(Set(draws).count == bound)
    }
}
