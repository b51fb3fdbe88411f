/// Greedy answers to many questions at once: one row per question through the decoder, so
/// every step is one matrix product for all of them instead of one per question. Training uses
/// it to measure, after every epoch, how many of its questions the model already answers.
/// The answers are those `AnswerGenerator`'s greedy strategy gives (no `<pad>`, `<bos>` or
/// `<unk>`; at most `maxLength` tokens).
public enum BatchedGreedy {
    public static func answers(model: Seq2SeqModel, questions: [[Int32]], maxLength: Int, batchSize: Int = 128,
                               specials: SpecialTokenIDs = .standard) -> [[Int32]] {
        precondition(maxLength > 0 && batchSize > 0)
        let session = InferenceSession(model: model)
        let V = model.config.vocabSize
        var mask = [Float](repeating: 0, count: V)
        for id in [specials.pad, specials.bos, specials.unknown] where Int(id) < V && id != specials.eos { mask[Int(id)] = -.infinity }
        var results: [[Int32]] = []
        results.reserveCapacity(questions.count)
        for start in stride(from: 0, to: questions.count, by: batchSize) {
            let batch = Array(questions[start..<min(start + batchSize, questions.count)])
            session.encode(questions: batch)
            var answers = [[Int32]](repeating: [], count: batch.count)
            var finished = [Bool](repeating: false, count: batch.count)
            var tokens = [Int32](repeating: specials.bos, count: batch.count)
            var open = batch.count
            for _ in 0..<maxLength where open > 0 {
                let z = session.step(tokens).baseAddress!
                mask.withUnsafeBufferPointer { m in
                    for r in 0..<batch.count {
                        tokens[r] = TokenDistribution.argmax(z + r * V, mask: m.baseAddress!, count: V)
                        guard !finished[r] else { continue }
                        if tokens[r] == specials.eos { finished[r] = true; open -= 1 } else { answers[r].append(tokens[r]) }
                    }
                }
            }
            results += answers
        }
        return results
    }
}
