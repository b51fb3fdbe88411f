import Foundation

/// A question/answer pair as token ids.
public typealias EncodedPair = (question: [Int32], answer: [Int32])

/// Loss, perplexity and greedy answers of a model on held-out pairs.
public struct Evaluation: Codable, Equatable, Sendable {
    public var loss: Float
    public var perplexity: Float { exp(loss) }
    /// Share of distinct questions whose greedy answer equals one of their reference answers.
    public var accuracy: Float
    /// Mean over distinct questions of the best token F1 against their references.
    public var tokenF1: Float
    public var pairs: Int
    public var questions: Int
}

public enum Evaluator {
    /// - pairs: the held-out pairs (questions may repeat with other answers).
    /// - answerTokens: each pair's answer as the tokenizer wrote it (what a correct answer must equal).
    public static func evaluate(model: Seq2SeqModel, vocabulary: Vocabulary, pairs: [EncodedPair], answerTokens: [[String]],
                                batchSize: Int = 64, maxAnswerLength: Int = 60) -> Evaluation {
        precondition(pairs.count == answerTokens.count)
        guard !pairs.isEmpty else { return Evaluation(loss: 0, accuracy: 0, tokenF1: 0, pairs: 0, questions: 0) }

        // Loss: the mean over every counted target token, as in training. The pairs are taken
        // by length, so that a batch's rows are of similar length and little of it is padding.
        let byLength = pairs.sorted { ($0.answer.count, $0.question.count) < ($1.answer.count, $1.question.count) }
        var lossSum: Double = 0, tokens = 0
        for start in stride(from: 0, to: byLength.count, by: batchSize) {
            let rows = byLength[start..<min(start + batchSize, byLength.count)]
            let batch = Seq2SeqBatch(questions: rows.map(\.question), answers: rows.map(\.answer), bos: Vocabulary.bos, eos: Vocabulary.eos)
            lossSum += Double(model.loss(batch)) * Double(batch.targetTokenCount)
            tokens += batch.targetTokenCount
        }

        // Greedy answers, one per distinct question, scored against all its references.
        var references: [[Int32]: [[String]]] = [:], order: [[Int32]] = []
        for (pair, answer) in zip(pairs, answerTokens) {
            if references[pair.question] == nil { order.append(pair.question) }
            references[pair.question, default: []].append(answer)
        }
        // In batches: the answers greedy decoding gives one question at a time, in a fraction of the time.
        let answers = BatchedGreedy.answers(model: model, questions: order, maxLength: maxAnswerLength)
        var correct = 0, f1: Double = 0
        for (question, ids) in zip(order, answers) {
            let answer = vocabulary.decode(ids)
            if AnswerScore.exactMatch(answer, references: references[question]!) { correct += 1 }
            f1 += AnswerScore.tokenF1(answer, references: references[question]!)
        }
        return Evaluation(loss: Float(lossSum / Double(max(tokens, 1))), accuracy: Float(correct) / Float(order.count),
                          tokenF1: Float(f1 / Double(order.count)), pairs: pairs.count, questions: order.count)
    }
}
