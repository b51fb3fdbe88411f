/// What training shows after every epoch: the share of a fixed sample of its own distinct
/// questions whose greedy answer is one of their answers (exact match, token for token, as
/// trained: cut to the run's maximum length), and the answers to a few of them.
///
/// The sample is at most `limit` distinct questions, evenly spread over the data in the order
/// they were read, and the same at every epoch and on resume; answered in batches by
/// `BatchedGreedy`, so it costs a fraction of an epoch. An answer stops as soon as it can no
/// longer equal a reference (the shown ones run to the end).
public struct ExactMatchProbe: Sendable {
    public let questions: [[Int32]]
    /// Each sampled question's answers.
    public let references: [Set<[Int32]>]
    /// Indices into `questions` of the questions whose answers are shown.
    public let shown: [Int]
    public let maxLength: Int

    /// - pairs: the training pairs as trained on (questions may repeat with other answers).
    /// - limit: the most questions sampled; 0 samples them all.
    public init(pairs: [Batcher.Pair], limit: Int = 500, shownCount: Int = 3, maxLength: Int) {
        var answers: [[Int32]: Set<[Int32]>] = [:], order: [[Int32]] = []
        for pair in pairs where !pair.question.isEmpty {
            if answers[pair.question] == nil { order.append(pair.question) }
            answers[pair.question, default: []].insert(pair.answer)
        }
        let n = order.count, k = limit > 0 ? min(limit, n) : n
        let sample = (0..<k).map { order[$0 * n / k] }
        questions = sample
        references = sample.map { answers[$0]! }
        shown = (0..<min(shownCount, k)).map { $0 * k / max(shownCount, 1) }
        self.maxLength = maxLength
    }

    public struct Result: Sendable {
        /// Share of the sampled questions answered exactly.
        public var exactMatch: Float
        /// The shown questions and their greedy answers, as token ids.
        public var samples: [(question: [Int32], answer: [Int32])]
    }

    public func measure(_ model: Seq2SeqModel) -> Result {
        guard !questions.isEmpty else { return Result(exactMatch: 0, samples: []) }
        // An answer that is no longer the start of any reference cannot be right: it stops there,
        // unless it is shown.
        let whole = Set(shown)
        let answers = BatchedGreedy.answers(model: model, questions: questions, maxLength: maxLength) { q, answer in
            whole.contains(q) || references[q].contains { $0.starts(with: answer) }
        }
        let right = zip(answers, references).filter { $1.contains($0) }.count
        return Result(exactMatch: Float(right) / Float(questions.count), samples: shown.map { (questions[$0], answers[$0]) })
    }
}
