/// Cuts encoded question/answer pairs into training batches, a new order every epoch.
///
/// Each epoch: a shuffle seeded by (seed, epoch) alone, so a run stopped and resumed at an epoch
/// sees the same batches; then chunks of `batchesPerChunk` batches are sorted by question +
/// answer length and cut into batches, so rows of a batch are of similar length and little of
/// it is padding; then the batch order is shuffled so that lengths do not rise through the epoch.
/// A batch holds `batchSize` rows, or fewer when they are long: at most `batchSize × rowTokens`
/// tokens with padding. So a long answer (code) is in a batch of a few, and the corpus's long
/// answers get several steps an epoch instead of one or two, each weighing as much as a batch of
/// short ones: the bundled corpus's code is learned in far fewer epochs (docs/learning-quality.md).
/// Inside a batch, rows are ordered by question length, longest first, so the encoder's steps
/// run over fewer rows as questions end (`LSTMLayer.rowsRunning`, PyTorch's
/// `pack_padded_sequence`). Every pair is in exactly one batch per epoch.
///
/// With `wordDropout` > 0, each question word of each epoch's batches is replaced by `<unk>`
/// with that probability (seeded by seed and epoch, so resuming sees the same batches): the
/// model cannot lean on any one word of a question, and learns to answer questions with words
/// it has not seen, as reworded questions have.
public struct Batcher: Sendable {
    public typealias Pair = EncodedPair

    public static let batchesPerChunk = 50
    /// A batch's tokens (question + answer, padding included) are at most `batchSize` times this,
    /// so that long pairs come in smaller batches and take more steps. On the bundled corpus, 16
    /// learned the code answers faster than 32 (90.6% of coding.yml's questions right at 99.0%
    /// exact match, against 83% at 98.5%; 112 steps an epoch against 86).
    public static let rowTokens = 16

    var tokenBudget: Int { batchSize * Self.rowTokens }

    /// The pairs read from, all of them (`rows` says which are batched).
    public let pairs: TokenizedPairs
    /// The indices into `pairs` of the pairs batched: those given, less any with an empty
    /// question or answer. A batch's rows are positions in this list.
    public let rows: [Int32]
    /// Questions and answers are cut to their first `maxLength` tokens when batched.
    public let maxLength: Int
    public let batchSize: Int
    public let seed: UInt64
    public let wordDropout: Float
    /// Pairs left out because their question or answer had no tokens: an empty question gives
    /// the encoder nothing to read, and an empty answer teaches only to stop.
    public let droppedEmptyCount: Int

    /// - rows: the indices of the pairs to batch (nil: all of them), in their order.
    public init(pairs: TokenizedPairs, rows: [Int]? = nil, maxLength: Int = .max, batchSize: Int, seed: UInt64,
                wordDropout: Float = 0) {
        precondition(batchSize > 0, "the batch size is at least 1")
        precondition(maxLength > 0, "the maximum length is at least 1")
        precondition((0..<1).contains(wordDropout), "word dropout is in [0, 1)")
        let given = rows ?? Array(0..<pairs.count)
        self.pairs = pairs
        self.rows = given.lazy.filter { pairs.questionLength($0) > 0 && pairs.answerLength($0) > 0 }.map { Int32($0) }
        self.maxLength = maxLength
        self.wordDropout = wordDropout
        self.batchSize = batchSize
        self.seed = seed
        droppedEmptyCount = given.count - self.rows.count
    }

    /// Batches `pairs`, whole, in their order.
    public init(pairs: [Pair], batchSize: Int, seed: UInt64, wordDropout: Float = 0) {
        self.init(pairs: TokenizedPairs(pairs), batchSize: batchSize, seed: seed, wordDropout: wordDropout)
    }

    /// The number of pairs batched.
    public var count: Int { rows.count }

    /// The pair at `row` (a position in `rows`), cut to `maxLength`.
    public func pair(_ row: Int) -> Pair {
        let i = Int(rows[row])
        return (pairs.question(i, limit: maxLength), pairs.answer(i, limit: maxLength))
    }

    /// The batches of `epoch`, each made when it is taken.
    public func batches(epoch: Int) -> EpochBatches<Seq2SeqBatch> {
        let batchRows = batchRows(epoch: epoch)
        guard wordDropout > 0 else { return EpochBatches(count: batchRows.count) { batch(rows: batchRows[$0]) } }
        // One generator runs through the epoch's question words in batch order (a draw each); its
        // state at the start of each batch is kept, so that any batch can be made on its own.
        var generator = Xoshiro256(seed: seed ^ 0x0D20_9D0F ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        var starts: [Xoshiro256] = []
        starts.reserveCapacity(batchRows.count)
        for rows in batchRows {
            starts.append(generator)
            for row in rows {
                for _ in 0..<min(pairs.questionLength(Int(self.rows[row])), maxLength) { _ = generator.next() }
            }
        }
        return EpochBatches(count: batchRows.count) { b in
            var generator = starts[b]
            let rows = batchRows[b].map(pair)
            let questions = rows.map { $0.question.map { generator.nextFloat() < wordDropout ? Vocabulary.unknown : $0 } }
            return Seq2SeqBatch(questions: questions, answers: rows.map(\.answer), bos: Vocabulary.bos, eos: Vocabulary.eos)
        }
    }

    /// The positions in `rows` of each batch of `epoch`, in order.
    public func batchRows(epoch: Int) -> BatchRows {
        // Mixing the epoch in with a large odd constant keeps nearby seeds and epochs far apart.
        var generator = Xoshiro256(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        var order = rows.indices.map { Int32($0) }
        order.deterministicShuffle(using: &generator)

        // Each chunk's batches are consecutive runs of it sorted by length: written back in place.
        var ends: [Int32] = []
        let chunkSize = batchSize * Self.batchesPerChunk
        for chunkStart in stride(from: 0, to: order.count, by: chunkSize) {
            let chunkEnd = min(chunkStart + chunkSize, order.count)
            // Ties keep their shuffled order: a total order, so the sort is the same everywhere.
            let byLength = order[chunkStart..<chunkEnd].map { Int($0) }.stablySorted { length(of: $0) }
            var start = byLength.startIndex
            while start < byLength.endIndex {
                // As many rows as fit in the budget (the longest, last, sets the batch's length).
                var end = start + 1
                while end < byLength.endIndex, end - start < batchSize, (end - start + 1) * length(of: byLength[end]) <= tokenBudget {
                    end += 1
                }
                for (k, row) in longestQuestionFirst(byLength[start..<end]).enumerated() { order[chunkStart + start + k] = Int32(row) }
                ends.append(Int32(chunkStart + end))
                start = end
            }
        }
        var batchOrder = ends.indices.map { Int32($0) }
        batchOrder.deterministicShuffle(using: &generator)
        return BatchRows(rows: order, ends: ends, order: batchOrder)
    }

    public func batch(rows: [Int]) -> Seq2SeqBatch {
        let pairs = rows.map(pair)
        return Seq2SeqBatch(questions: pairs.map(\.question), answers: pairs.map(\.answer), bos: Vocabulary.bos, eos: Vocabulary.eos)
    }

    private func questionLength(_ row: Int) -> Int { min(pairs.questionLength(Int(rows[row])), maxLength) }
    private func length(of row: Int) -> Int { questionLength(row) + min(pairs.answerLength(Int(rows[row])), maxLength) }

    /// A batch's rows by question length, longest first, ties in their order.
    private func longestQuestionFirst(_ rows: ArraySlice<Int>) -> [Int] {
        rows.stablySorted { -questionLength($0) }
    }

    /// Cuts questions and answers longer than `maxLength` tokens (`<bos>` and `<eos>` not counted)
    /// to their first `maxLength` tokens; `truncatedCount` is the number of pairs cut.
    public static func truncate(_ pairs: [Pair], maxLength: Int) -> (pairs: [Pair], truncatedCount: Int) {
        precondition(maxLength > 0, "the maximum length is at least 1")
        var truncatedCount = 0
        let cut = pairs.map { pair -> Pair in
            guard pair.question.count > maxLength || pair.answer.count > maxLength else { return pair }
            truncatedCount += 1
            return (Array(pair.question.prefix(maxLength)), Array(pair.answer.prefix(maxLength)))
        }
        return (cut, truncatedCount)
    }
}

/// The batches of an epoch as lists of rows, stored flat: the rows of every batch one batch after
/// another, where each batch ends, and the order batches are taken in. An epoch of 500,000 pairs
/// is 2 MB here, where 15,000 arrays of `Int` were 5 MB.
public struct BatchRows: RandomAccessCollection, Sendable {
    let rows: [Int32], ends: [Int32], order: [Int32]

    public var startIndex: Int { 0 }
    public var endIndex: Int { order.count }

    /// The rows of the batch taken `b`th.
    public subscript(b: Int) -> [Int] {
        let k = Int(order[b]), start = k == 0 ? 0 : Int(ends[k - 1])
        return rows[start..<Int(ends[k])].map { Int($0) }
    }
}
