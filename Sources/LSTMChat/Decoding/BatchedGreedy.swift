/// Greedy answers to many questions at once: one row per question through the decoder, so
/// every step is one matrix product for all of them instead of one per question. Training uses
/// it to measure, after every epoch, how many of its questions the model already answers, and
/// `eval` to score a model.
/// The answers are those `AnswerGenerator`'s greedy strategy gives (no `<pad>`, `<bos>` or
/// `<unk>`; at most `maxLength` tokens).
///
/// A row whose answer is finished leaves the batch (`InferenceSession.reorder`), so a batch
/// costs the sum of its answers' lengths rather than its longest answer times its size.
public enum BatchedGreedy {
    /// The most logits a batch holds at once (floats, 4 MB): 128 questions at a time up to 8,192
    /// words, fewer above (20 at 50,000 words, where 128 rows' logits were 26 MB and the top of
    /// a training run's memory, after every epoch).
    static let logitsBudget = 1 << 20

    /// Questions answered at once with a vocabulary of `V` words.
    static func batchSize(vocabularySize V: Int) -> Int { min(128, max(1, logitsBudget / V)) }

    /// - observe: shown every step of every answer: the question's index in `questions`, the
    ///   logits the token was chosen from ([V], valid during the call) and the token (`<eos>` too),
    ///   for measures of how sure the model was (`ConfidenceSignals`).
    /// - batchSize: questions at once (nil: `batchSize(vocabularySize:)`).
    /// - keepGoing: asked after every token with the question's index in `questions` and its
    ///   answer so far; when it says false, that answer stops there (a caller that only needs to
    ///   know whether an answer is right stops one that no longer can be). nil: every answer runs
    ///   to `<eos>` or `maxLength`.
    public static func answers(model: Seq2SeqModel, questions: [[Int32]], maxLength: Int, batchSize: Int? = nil,
                               specials: SpecialTokenIDs = .standard,
                               observe: ((_ question: Int, _ logits: UnsafePointer<Float>, _ token: Int32) -> Void)? = nil,
                               keepGoing: ((_ question: Int, _ answer: [Int32]) -> Bool)? = nil) -> [[Int32]] {
        let V = model.config.vocabSize, batchSize = batchSize ?? Self.batchSize(vocabularySize: V)
        precondition(maxLength > 0 && batchSize > 0)
        let session = InferenceSession(model: model)
        var mask = [Float](repeating: 0, count: V)
        for id in [specials.pad, specials.bos, specials.unknown] where Int(id) < V && id != specials.eos { mask[Int(id)] = -.infinity }
        var answers = [[Int32]](repeating: [], count: questions.count)
        var open: [Int] = [], tokens: [Int32] = [], kept: [Int] = []  // per session row: its question, its last token
        open.reserveCapacity(batchSize); tokens.reserveCapacity(batchSize); kept.reserveCapacity(batchSize)
        for start in stride(from: 0, to: questions.count, by: batchSize) {
            let end = min(start + batchSize, questions.count)
            session.encode(questions: Array(questions[start..<end]))
            open.removeAll(keepingCapacity: true); open.append(contentsOf: start..<end)
            tokens.removeAll(keepingCapacity: true); tokens.append(contentsOf: repeatElement(specials.bos, count: end - start))
            for _ in 0..<maxLength {
                let z = session.step(tokens).baseAddress!
                kept.removeAll(keepingCapacity: true)
                mask.withUnsafeBufferPointer { m in
                    for (r, q) in open.enumerated() {
                        let token = TokenDistribution.argmax(z + r * V, mask: m.baseAddress!, count: V)
                        observe?(q, z + r * V, token)
                        guard token != specials.eos else { continue }
                        answers[q].append(token)
                        if let keepGoing, !keepGoing(q, answers[q]) { continue }
                        tokens[r] = token
                        kept.append(r)
                    }
                }
                if kept.isEmpty { break }
                guard kept.count < open.count else { continue }
                // Finished rows leave: the open ones move up, in order (kept is increasing).
                session.reorder(kept)
                for (i, r) in kept.enumerated() { open[i] = open[r]; tokens[i] = tokens[r] }
                open.removeLast(open.count - kept.count); tokens.removeLast(tokens.count - kept.count)
            }
        }
        return answers
    }
}
