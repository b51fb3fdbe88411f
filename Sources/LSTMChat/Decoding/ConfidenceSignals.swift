import Foundation

/// The candidate measures of how sure the model is of its answer to a question, each "higher is
/// surer", that `lstmchat eval --unrelated` compares: how well each tells unrelated questions
/// from the corpus's own and from reworded ones (by the area under the ROC curve).
public struct ConfidenceSignals: Sendable {
    /// The greedy answer's log-probability per token (`<eos>` counted).
    public var meanLogProbability: Float
    /// The least likely token of the greedy answer, as a log-probability.
    public var leastLogProbability: Float
    /// Minus the entropy (nats) of the first answer token's distribution.
    public var firstStepCertainty: Float
    /// Minus the mean entropy of the greedy answer's first `AnswerConfidence.steps` steps.
    public var firstStepsCertainty: Float
    /// The share of the question's tokens that the vocabulary holds.
    public var knownWords: Float
    /// Cosine similarity of the question's encoder state to the nearest training question's
    /// (nil without a `QuestionMemory`).
    public var nearestQuestion: Float?
    /// Whether the question is one the model was trained on (`KnownQuestions`).
    public var isKnownQuestion = false
    /// `AnswerConfidence`: exp(firstStepsCertainty) × knownWords; for a known question, at least
    /// exp(meanLogProbability) × knownWords.
    public var confidence: Float {
        AnswerConfidence.combine(meanEntropy: -firstStepsCertainty, knownWords: knownWords,
                                 knownQuestionMeanLogP: isKnownQuestion ? meanLogProbability : nil)
    }

    /// Each signal with its name, the confidence last.
    public var named: [(name: String, value: Float)] {
        var list: [(String, Float)] = [("answer's mean log-probability", meanLogProbability),
                                       ("answer's least token log-probability", leastLogProbability),
                                       ("first step's certainty (−entropy)", firstStepCertainty),
                                       ("first \(AnswerConfidence.steps) steps' certainty", firstStepsCertainty),
                                       ("known question words", knownWords)]
        if let nearestQuestion { list.append(("nearest training question (encoder state)", nearestQuestion)) }
        list.append(("confidence (first steps' certainty × known words)", confidence))
        return list
    }

    /// Measures the signals of each question on the way to its greedy answer (at most
    /// `maxLength` tokens), which it returns too: all the questions in batches (`BatchedGreedy`),
    /// giving what one question at a time would. With `memory`, also each question's nearest
    /// remembered question. With `knownQuestions`, the questions among them are judged as known
    /// (`AnswerConfidence`).
    public static func measure(_ questions: [[Int32]], model: Seq2SeqModel, specials: SpecialTokenIDs = .standard,
                               memory: QuestionMemory? = nil, maxLength: Int = 60,
                               knownQuestions: KnownQuestions? = nil) -> [(signals: ConfidenceSignals, answer: GeneratedAnswer)] {
        let V = model.config.vocabSize, mask = AnswerConfidence.mask(vocabSize: V, specials: specials)
        // Per question: the entropies of its first steps, and the log-probability of each chosen
        // token, <eos> included.
        var entropies = [[Float]](repeating: [], count: questions.count), chosen = entropies
        let answers = BatchedGreedy.answers(model: model, questions: questions, maxLength: maxLength, specials: specials,
                                            observe: { q, logits, token in
            let step = mask.withUnsafeBufferPointer {
                TokenDistribution.summary(logits, mask: $0.baseAddress!, count: V, entropy: AnswerConfidence.wantsEntropy(entropies[q]))
            }
            AnswerConfidence.record(step, logits: logits, token: token, entropies: &entropies[q], chosen: &chosen[q])
        })
        let session = memory.map { _ in InferenceSession(model: model) }
        return questions.indices.map { q in
            let finished = chosen[q].count > answers[q].count  // <eos> was chosen
            let logP = chosen[q].reduce(0, +)
            let answer = GeneratedAnswer(tokens: answers[q], logProbability: logP, finished: finished)
            let first = entropies[q].prefix(AnswerConfidence.steps)
            let nearest = memory.map { memory in
                session!.encode(questions[q], rows: 1)
                return memory.nearestSimilarity(session!.questionState())
            }
            let signals = ConfidenceSignals(
                meanLogProbability: logP / Float(answer.length), leastLogProbability: chosen[q].min() ?? 0,
                firstStepCertainty: -entropies[q][0], firstStepsCertainty: -first.reduce(0, +) / Float(first.count),
                knownWords: AnswerConfidence.knownWords(questions[q], unknown: specials.unknown), nearestQuestion: nearest,
                isKnownQuestion: knownQuestions?.contains(questions[q]) ?? false)
            return (signals, answer)
        }
    }
}

/// The area under the ROC curve: the chance that a random `positive` scores above a random
/// `negative` (ties count half). 1 separates perfectly, 0.5 not at all.
public func areaUnderCurve(positives: [Float], negatives: [Float]) -> Double {
    guard !positives.isEmpty, !negatives.isEmpty else { return .nan }
    let sorted = negatives.sorted()
    var wins: Double = 0
    for p in positives {
        let below = sorted.partitioningIndex { $0 >= p }
        let notAbove = sorted.partitioningIndex { $0 > p }
        wins += Double(below) + 0.5 * Double(notAbove - below)
    }
    return wins / Double(positives.count * negatives.count)
}

extension Array where Element: Comparable {
    /// In a sorted array, the first index whose element satisfies `predicate` (which must be
    /// false, then true, along the array): binary search.
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
