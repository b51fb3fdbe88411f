import Foundation

/// The questions a model was trained on, for asking a question in other words: a question the
/// model has not seen is matched to the nearest one it has, by the words they share, and the
/// model answers that one.
///
/// A model trained on a small corpus answers the questions it learned, but its encoder's state
/// moves with every extra or missing word: "which mammal has no vocal cords at all" is not
/// "which mammal has no vocal cords" to it. Words weighted by their rarity among the known
/// questions (TF-IDF, cosine similarity) find the question meant far more often: on the bundled
/// corpus's reworded questions, the nearest known question holds a right answer for 83 of 95.
/// Unrelated questions share few rare words with any known question (below 0.5 for all 72 of
/// `datasets/chatterbot-english-unrelated.txt`); they are left as they are, and the confidence
/// threshold decides what to say.
///
///     weight(w) = 1 + ln((N + 1) / (questions holding w + 1))     (N known questions)
///     similarity(q, k) = Σ_w tf_q(w) weight(w) · tf_k(w) weight(w) / (|q| |k|)
///
/// A word the vocabulary lacks (`<unk>`) counts as the rarest and matches nothing: a question
/// full of unknown words is far from every known one.
public struct KnownQuestions: Equatable, Sendable {
    /// The distinct questions, as token ids, in the order first seen.
    public let questions: [[Int32]]
    /// Similarity at and above which a question is matched (1 would take only the same words).
    public static let defaultThreshold: Float = 0.5

    private let unknown: Int32
    private let index: [[Int32]: Int]
    private let weights: [Int32: Float]
    private let unseenWeight: Float
    /// Each known question's words and their normalised TF-IDF weights.
    private let vectors: [[Int32: Float]]
    /// For each word, the known questions that hold it: a question is compared with those only.
    private let holders: [Int32: [Int]]

    public init(_ questions: [[Int32]], unknown: Int32 = Vocabulary.unknown) {
        let distinct = Self.distinct(questions)
        self.questions = distinct
        let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
        self.unknown = unknown
        self.index = index
        var counts: [Int32: Int] = [:]
        for q in distinct { for w in Set(q) where w != unknown { counts[w, default: 0] += 1 } }
        let n = Float(distinct.count)
        let weights = counts.mapValues { 1 + log((n + 1) / (Float($0) + 1)) }
        let unseenWeight = 1 + log(n + 1)
        var holders: [Int32: [Int]] = [:]
        for (i, q) in distinct.enumerated() {
            for w in Set(q) where w != unknown { holders[w, default: []].append(i) }
        }
        self.weights = weights
        self.unseenWeight = unseenWeight
        self.holders = holders
        vectors = distinct.map { Self.vector(of: $0, unknown: unknown, weights: weights, unseenWeight: unseenWeight) }
    }

    /// The questions a model knows of `questions`: each once, in the order first seen, none empty.
    public static func distinct<S: Sequence>(_ questions: S) -> [[Int32]] where S.Element == [Int32] {
        var seen = Set<[Int32]>()
        return questions.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Whether `question` is one of the known questions, token for token.
    public func contains(_ question: [Int32]) -> Bool { index[question] != nil }

    /// The index in `questions` of `question`, if it is one of them.
    public func index(of question: [Int32]) -> Int? { index[question] }

    /// The nearest known question and its similarity in [0, 1]; nil when no known question shares a word.
    public func nearest(_ question: [Int32]) -> (question: [Int32], similarity: Float)? {
        if let i = index[question] { return (questions[i], 1) }
        let v = Self.vector(of: question, unknown: unknown, weights: weights, unseenWeight: unseenWeight)
        var scores: [Int: Float] = [:]
        // Words in id order: sums in the same order in every process (dictionaries' order is not).
        for (w, x) in v.sorted(by: { $0.key < $1.key }) { for i in holders[w] ?? [] { scores[i, default: 0] += x * vectors[i][w]! } }
        // Ties go to the question seen first: the same answer on every machine.
        guard let best = scores.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) else { return nil }
        return (questions[best.key], min(best.value, 1))
    }

    /// The question the model should be asked: `question` itself when it is known or nothing known
    /// is at least `threshold` similar, else the nearest known question.
    public func match(_ question: [Int32], threshold: Float = defaultThreshold) -> [Int32] {
        guard let (known, similarity) = nearest(question), similarity >= threshold else { return question }
        return known
    }

    /// Term frequency × weight, scaled to unit length; `<unk>` adds to the length only.
    private static func vector(of question: [Int32], unknown: Int32, weights: [Int32: Float], unseenWeight: Float) -> [Int32: Float] {
        var v: [Int32: Float] = [:], squares: Float = 0
        var unknownCount: Float = 0
        for w in question {
            if w == unknown { unknownCount += 1 } else { v[w, default: 0] += 1 }
        }
        for (w, count) in v.sorted(by: { $0.key < $1.key }) {
            let x = count * (weights[w] ?? unseenWeight)
            v[w] = x
            squares += x * x
        }
        squares += (unknownCount * unseenWeight) * (unknownCount * unseenWeight)
        guard squares > 0 else { return [:] }
        let norm = squares.squareRoot()
        return v.mapValues { $0 / norm }
    }

    public static func == (a: Self, b: Self) -> Bool { a.questions == b.questions }
}
