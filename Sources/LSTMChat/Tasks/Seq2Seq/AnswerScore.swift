/// How well a generated answer matches the reference answers of its question. A question may
/// have several right answers (the ChatterBot corpus often has): the best match counts.
public enum AnswerScore {
    /// True when the answer's tokens equal those of any reference.
    public static func exactMatch(_ answer: [String], references: [[String]]) -> Bool {
        references.contains(answer)
    }

    /// The best token-level F1 over the references (SQuAD's measure: the harmonic mean of
    /// precision and recall of the tokens in common, counted with multiplicity).
    public static func tokenF1(_ answer: [String], references: [[String]]) -> Double {
        references.map { f1(answer, $0) }.max() ?? 0
    }

    static func f1(_ answer: [String], _ reference: [String]) -> Double {
        if answer.isEmpty || reference.isEmpty { return answer == reference ? 1 : 0 }
        var counts: [String: Int] = [:]
        for token in reference { counts[token, default: 0] += 1 }
        var common = 0
        for token in answer where counts[token, default: 0] > 0 {
            counts[token]! -= 1
            common += 1
        }
        guard common > 0 else { return 0 }
        let precision = Double(common) / Double(answer.count), recall = Double(common) / Double(reference.count)
        return 2 * precision * recall / (precision + recall)
    }
}
