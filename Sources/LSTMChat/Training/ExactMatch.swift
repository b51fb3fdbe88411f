/// Exact match, the one definition: the share of distinct questions whose greedy answer is, token
/// for token, one of the whole answers the data gives that question.
///
/// - Questions are grouped by their token ids as the model reads them; a question with several
///   answers in the data is right when its answer is any one of them.
/// - References are whole: never cut to a training run's `--max-length`. A model trained on cut
///   answers does not give the corpus's answer, and is not counted as if it did.
/// - The answer is the greedy answer as `AnswerGenerator` gives it one question at a time (the
///   batched decoding of `BatchedGreedy` gives the same tokens), with no length limit of its own:
///   it runs until `<eos>` or until it can no longer equal any reference (no longer the start of
///   one, or longer than all). So no figure depends on a length limit chosen elsewhere.
///
/// The per-epoch figure of training (`ExactMatchProbe`), `--until-accuracy`, `eval`
/// (`Evaluator`) and the benchmarks all count with `measure`.
///
///     let exact = ExactMatch(pairs: encodedPairs)         // whole answers, as token ids
///     let share = exact.measure(model).share
public struct ExactMatch: Sendable {
    /// The distinct questions, in the order first seen.
    public let questions: [[Int32]]
    /// Each question's whole reference answers.
    public let references: [Set<[Int32]>]

    /// - pairs: question/answer pairs as token ids, answers whole (questions may repeat with
    ///   other answers; pairs with an empty question or answer are left out).
    /// - limit: at most this many distinct questions, evenly spread over them in the order
    ///   first seen; 0 takes them all.
    public init<S: Sequence>(pairs: S, limit: Int = 0) where S.Element == EncodedPair {
        let pairs = TokenizedPairs(pairs)
        self.init(pairs: pairs, rows: 0..<pairs.count, limit: limit)
    }

    /// The same, of the pairs at `rows` of a flat store: only the sampled questions' answers are
    /// gathered, so a corpus of millions of pairs costs a table of integers here.
    public init<Rows: Collection>(pairs: TokenizedPairs, rows: Rows, limit: Int = 0) where Rows.Element == Int {
        let order = pairs.firstOfEachQuestion(among: rows)
        let n = order.count, k = limit > 0 ? min(limit, n) : n
        let sample = k == n ? order : (0..<k).map { order[$0 * n / k] }
        questions = sample.map { pairs.question($0) }
        let index = Dictionary(questions.enumerated().map { ($1, $0) }) { first, _ in first }
        let sampledHashes = Set(sample.map(pairs.questionHash))
        var references = [Set<[Int32]>](repeating: [], count: k)
        for i in rows where pairs.answerLength(i) > 0 {
            // Hashed in place first: most pairs' questions are not sampled, and are not copied.
            guard sampledHashes.contains(pairs.questionHash(i)), let q = index[pairs.question(i)] else { continue }
            references[q].insert(pairs.answer(i))
        }
        self.references = references
    }

    public init(questions: [[Int32]], references: [Set<[Int32]>]) {
        precondition(questions.count == references.count, "one set of references per question")
        self.questions = questions
        self.references = references
    }

    /// The longest reference's length, in tokens.
    public var longestReference: Int { references.lazy.flatMap { $0 }.map(\.count).max() ?? 0 }

    /// Whether `answer` is right for question `index`: one of its references, token for token.
    public func isRight(_ answer: [Int32], question index: Int) -> Bool {
        references[index].contains(answer)
    }

    public struct Score: Sendable {
        /// Per question: whether its greedy answer is one of its references.
        public var right: [Bool]
        /// Per question: its greedy answer; cut where it could no longer be right, except for the
        /// questions asked `whole`.
        public var answers: [[Int32]]
        public var rightCount: Int { right.count(where: { $0 }) }
        /// The share of the questions answered right (0 when there are none).
        public var share: Float { right.isEmpty ? 0 : Float(rightCount) / Float(right.count) }
    }

    /// Answers every question greedily, all in batches, and scores the answers.
    /// - whole: indices of questions whose answers run on to `<eos>` (or `longestReference` + 1
    ///   tokens) even when they can no longer be right: the ones a caller shows.
    public func measure(_ model: Seq2SeqModel, specials: SpecialTokenIDs = .standard, whole: Set<Int> = []) -> Score {
        guard !questions.isEmpty else { return Score(right: [], answers: []) }
        // One token past the longest reference: an answer that equals a reference but does not
        // stop there shows it by its next token.
        let answers = BatchedGreedy.answers(model: model, questions: questions, maxLength: longestReference + 1,
                                            specials: specials, keepGoing: { q, answer in
            whole.contains(q) || references[q].contains { $0.starts(with: answer) }
        })
        return Score(right: answers.indices.map { isRight(answers[$0], question: $0) }, answers: answers)
    }
}
