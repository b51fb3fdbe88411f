import Foundation

/// A question/answer pair as token ids.
public typealias EncodedPair = (question: [Int32], answer: [Int32])

/// Loss, perplexity and greedy answers of a model on held-out pairs.
public struct Evaluation: Codable, Equatable, Sendable {
    public var loss: Float
    public var perplexity: Float { exp(loss) }
    /// Share of distinct questions whose greedy answer equals one of their whole reference
    /// answers (`ExactMatch`).
    public var accuracy: Float
    /// Mean over distinct questions of the best token F1 against their references.
    public var tokenF1: Float
    public var pairs: Int
    public var questions: Int
}

public enum Evaluator {
    /// The loss on `pairs`: the mean over every counted target token, as in training. The pairs
    /// are taken by length, so that a batch's rows are of similar length and little of it is padding.
    public static func loss(model: Seq2SeqModel, pairs: [EncodedPair], batchSize: Int = 64) -> Float {
        let byLength = pairs.sorted { ($0.answer.count, $0.question.count) < ($1.answer.count, $1.question.count) }
        var lossSum: Double = 0, tokens = 0
        for start in stride(from: 0, to: byLength.count, by: batchSize) {
            let rows = byLength[start..<min(start + batchSize, byLength.count)]
            let batch = Seq2SeqBatch(questions: rows.map(\.question), answers: rows.map(\.answer), bos: Vocabulary.bos, eos: Vocabulary.eos)
            lossSum += Double(model.loss(batch)) * Double(batch.targetTokenCount)
            tokens += batch.targetTokenCount
        }
        return Float(lossSum / Double(max(tokens, 1)))
    }

    /// - pairs: the held-out pairs (questions may repeat with other answers), answers WHOLE: exact
    ///   match (`ExactMatch`) compares with them.
    /// - answerTokens: each pair's answer as the tokenizer wrote it, for the token F1.
    /// - maxAnswerLength: the longest greedy answer the token F1 reads (exact match has no limit).
    public static func evaluate(model: Seq2SeqModel, vocabulary: Vocabulary, pairs: [EncodedPair], answerTokens: [[String]],
                                batchSize: Int = 64, maxAnswerLength: Int = 60) -> Evaluation {
        precondition(pairs.count == answerTokens.count)
        guard !pairs.isEmpty else { return Evaluation(loss: 0, accuracy: 0, tokenF1: 0, pairs: 0, questions: 0) }

        let loss = loss(model: model, pairs: pairs, batchSize: batchSize)
        // Exact match by its one definition (whole references, answers without a length limit).
        let exact = ExactMatch(pairs: pairs)
        let accuracy = exact.measure(model).share
        // Token F1 of the greedy answers of at most `maxAnswerLength` tokens, one per distinct
        // question, against all its references as the tokenizer wrote them.
        var references: [[Int32]: [[String]]] = [:], order: [[Int32]] = []
        for (pair, answer) in zip(pairs, answerTokens) where !pair.question.isEmpty && !answer.isEmpty {
            if references[pair.question] == nil { order.append(pair.question) }
            references[pair.question, default: []].append(answer)
        }
        let answers = BatchedGreedy.answers(model: model, questions: order, maxLength: maxAnswerLength)
        var f1: Double = 0
        for (question, ids) in zip(order, answers) {
            f1 += AnswerScore.tokenF1(vocabulary.decode(ids), references: references[question]!)
        }
        return Evaluation(loss: loss, accuracy: accuracy,
                          tokenF1: Float(f1 / Double(max(order.count, 1))), pairs: pairs.count, questions: exact.questions.count)
    }
}
