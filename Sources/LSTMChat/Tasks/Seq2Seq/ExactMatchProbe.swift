/// What training shows after every epoch: the exact match (`ExactMatch`, the one definition
/// `eval` counts with too) of a fixed sample of its own distinct questions, and the answers to a
/// few of them.
///
/// The sample is at most `limit` distinct questions, evenly spread over the data in the order
/// they were read, and the same at every epoch and on resume; answered in batches by
/// `BatchedGreedy`, so it costs a fraction of an epoch. With `limit` 0 it is every question, and
/// its figure is `eval`'s on the same pairs.
public struct ExactMatchProbe: Sendable {
    public let exactMatch: ExactMatch
    public var questions: [[Int32]] { exactMatch.questions }
    /// Each sampled question's whole answers.
    public var references: [Set<[Int32]>] { exactMatch.references }
    /// Indices into `questions` of the questions whose answers are shown.
    public let shown: [Int]

    /// - pairs: the training pairs with their WHOLE answers, as token ids (not cut to the run's
    ///   maximum length: an answer cut in training is not the data's answer).
    /// - limit: the most questions sampled; 0 samples them all.
    public init(pairs: [EncodedPair], limit: Int = 500, shownCount: Int = 3) {
        let pairs = TokenizedPairs(pairs)
        self.init(pairs: pairs, rows: 0..<pairs.count, limit: limit, shownCount: shownCount)
    }

    /// The same, of the pairs at `rows` of a flat store.
    public init<Rows: Collection>(pairs: TokenizedPairs, rows: Rows, limit: Int = 500, shownCount: Int = 3) where Rows.Element == Int {
        exactMatch = ExactMatch(pairs: pairs, rows: rows, limit: limit)
        let k = exactMatch.questions.count
        shown = (0..<min(shownCount, k)).map { $0 * k / max(shownCount, 1) }
    }

    public struct Result: Sendable {
        /// Share of the sampled questions answered exactly.
        public var exactMatch: Float
        /// The shown questions and their greedy answers, as token ids.
        public var samples: [(question: [Int32], answer: [Int32])]
    }

    public func measure(_ model: Seq2SeqModel) -> Result {
        guard !questions.isEmpty else { return Result(exactMatch: 0, samples: []) }
        let score = exactMatch.measure(model, whole: Set(shown))
        return Result(exactMatch: score.share, samples: shown.map { (questions[$0], score.answers[$0]) })
    }
}
