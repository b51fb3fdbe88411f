import Foundation

/// How sure a model is that it can answer a question, from 0 to 1, computed by the model itself:
///
///     confidence = exp(−mean entropy of the first 3 answer tokens) × share of known question words
///
/// The first factor is how peaked the decoder's next-token distributions are on the first steps
/// of its greedy answer (1 when it has no doubt which tokens start the answer; 1/n when it hesitates
/// between n as if evenly): a question like one it was trained on starts an answer it knows, an
/// unrelated one leaves it choosing among many starts. The second is the share of the question's
/// tokens in the vocabulary: a question full of words the model never saw is not one it learned.
/// Of the measures compared by `lstmchat eval --unrelated` (the answer's mean log-probability, its
/// least likely token, the first step's entropy, the nearest training question in the encoder's
/// state space, the known words alone), this product told unrelated questions from the corpus's and
/// from reworded ones best.
///
/// A question the model was trained on (one of its `KnownQuestions`, as typed or matched to it) is
/// judged by how well it knows it, not by how many answers it learned for it: a question with
/// several answers ("tell me a joke": 30 in the corpus) starts with a wide distribution over their
/// first words, which the entropy reads as ignorance. Its confidence is the larger of the above
/// and the greedy answer's mean token probability, exp(mean log P) × known words (`<eos>`
/// counted; at most `maxLength` tokens): a learned answer, once started, runs on surely. Questions
/// that are not known keep the measure above, so a threshold chosen for it still applies.
///
/// It depends on the question only, not on how the answer is then decoded (greedy, beam,
/// sampling), and costs the encoder and three decoder steps (the greedy answer for a known question).
public enum AnswerConfidence {
    /// Names the measure in checkpoints: a threshold chosen for another measure is not applied.
    public static let measure = "first-steps-certainty*known-words"
    /// How many first answer tokens the certainty is taken over.
    public static let steps = 3

    /// - knownQuestions: the questions the model was trained on; a question among them is judged
    ///   by how well it is known. nil: every question is judged as unknown.
    /// - maxLength: the longest greedy answer read for a known question (`ConfidenceSignals`'s).
    public static func of(_ question: [Int32], session: InferenceSession, specials: SpecialTokenIDs = .standard,
                          knownQuestions: KnownQuestions? = nil, maxLength: Int = 60) -> Float {
        let isKnown = knownQuestions?.contains(question) ?? false
        let (entropies, chosen) = firstSteps(question, session: session, specials: specials, count: isKnown ? max(maxLength, steps) : steps)
        return of(question, entropies: entropies, chosenLogP: chosen.map(\.logP), isKnown: isKnown, unknown: specials.unknown)
    }

    /// The confidence of a question from the greedy path followed for it: the entropies of its
    /// steps (the first `steps` count) and the log-probability of each chosen token (a known
    /// question's mean of them counts too).
    static func of(_ question: [Int32], entropies: [Float], chosenLogP: [Float], isKnown: Bool, unknown: Int32) -> Float {
        let first = entropies.prefix(steps)
        let meanLogP = chosenLogP.isEmpty ? -Float.infinity : chosenLogP.reduce(0, +) / Float(chosenLogP.count)
        return combine(meanEntropy: first.reduce(0, +) / Float(first.count), knownWords: knownWords(question, unknown: unknown),
                       knownQuestionMeanLogP: isKnown ? meanLogP : nil)
    }

    static func combine(meanEntropy: Float, knownWords: Float, knownQuestionMeanLogP: Float? = nil) -> Float {
        let certainty = exp(-meanEntropy) * knownWords
        guard let knownQuestionMeanLogP else { return certainty }
        return max(certainty, exp(knownQuestionMeanLogP) * knownWords)
    }

    /// The share of the question's tokens that are not `<unk>`; 0 for an empty question.
    static func knownWords(_ question: [Int32], unknown: Int32) -> Float {
        question.isEmpty ? 0 : Float(question.count(where: { $0 != unknown })) / Float(question.count)
    }

    /// The tokens an answer may hold (0) and may not (−∞): not `<pad>`, `<bos>`, `<unk>`.
    static func mask(vocabSize V: Int, specials: SpecialTokenIDs) -> [Float] {
        var mask = [Float](repeating: 0, count: V)
        for id in [specials.pad, specials.bos, specials.unknown] where Int(id) < V && id != specials.eos { mask[Int(id)] = -.infinity }
        return mask
    }

    /// Encodes the question and follows the greedy answer for up to `count` tokens (fewer when it
    /// ends): the entropy (nats) of each step's distribution, and the log-probability of each
    /// chosen token, `<eos>` included.
    static func firstSteps(_ question: [Int32], session: InferenceSession, specials: SpecialTokenIDs,
                           count: Int) -> (entropies: [Float], chosen: [(token: Int32, logP: Float)]) {
        let V = session.vocabSize, mask = mask(vocabSize: V, specials: specials)
        var entropies: [Float] = [], chosen: [(token: Int32, logP: Float)] = []
        session.encode(question, rows: 1)
        var token = specials.bos
        while chosen.count < count {
            let z = session.step([token]).baseAddress!
            let step = mask.withUnsafeBufferPointer { TokenDistribution.summary(z, mask: $0.baseAddress!, count: V, entropy: true) }
            token = step.token
            entropies.append(step.entropy)
            chosen.append((token, step.logP(z)))
            if token == specials.eos { break }
        }
        return (entropies, chosen)
    }

    /// Whether the next step recorded counts its entropy (`record` wants it then).
    static func wantsEntropy(_ entropies: [Float]) -> Bool { entropies.count < steps }

    /// Records one step of the greedy path the confidence follows, from its distribution over
    /// the allowed tokens (`mask`'s; with its entropy when `wantsEntropy`): the entropy of the
    /// first `steps` steps, and every chosen token's log-probability.
    static func record(_ step: TokenDistribution.Summary, logits: UnsafePointer<Float>, token: Int32, entropies: inout [Float],
                       chosen: inout [Float]) {
        if wantsEntropy(entropies) { entropies.append(step.entropy) }
        chosen.append(step.logP(logits, token))
    }
}
