import Foundation

/// The questions a model was trained on, as its encoder sees them: the final hidden state of each
/// distinct question, scaled to unit length. A new question's cosine similarity to the nearest of
/// them says how close it lies to anything the model learned to answer: 1 for a training question
/// itself, lower the further away it is.
public struct QuestionMemory: Equatable, Sendable {
    /// The length of one state: layers × hidden size.
    public let dimension: Int
    /// [count, dimension], row after row, each of unit length (or all zeros).
    public let states: [Float]

    public var count: Int { dimension == 0 ? 0 : states.count / dimension }

    public init(dimension: Int, states: [Float]) {
        precondition(dimension > 0 && states.count % dimension == 0)
        self.dimension = dimension
        self.states = states
    }

    /// Encodes each distinct question once.
    public init(questions: [[Int32]], session: InferenceSession) {
        var seen = Set<[Int32]>(), states: [Float] = []
        for question in questions where !question.isEmpty && seen.insert(question).inserted {
            session.encode(question, rows: 1)
            states += Self.unit(session.questionState())
        }
        self.init(dimension: session.model.config.layers * session.model.config.hiddenSize, states: states)
    }

    static func unit(_ v: [Float]) -> [Float] {
        let norm = sqrt(v.reduce(0) { $0 + $1 * $1 })
        return norm > 0 ? v.map { $0 / norm } : v
    }

    /// The cosine similarity of `state` to the nearest remembered question; −1 when there is none.
    public func nearestSimilarity(_ state: [Float]) -> Float {
        precondition(state.count == dimension, "a state of \(dimension) numbers")
        let n = count
        guard n > 0 else { return -1 }
        let u = Self.unit(state)
        var similarities = [Float](repeating: 0, count: n)
        // similarities = states · u: one matrix–vector product.
        states.withUnsafeBufferPointer { s in
            u.withUnsafeBufferPointer { x in
                similarities.withUnsafeMutableBufferPointer { out in
                    gemm(transB: true, m: 1, n: n, k: dimension, a: x.baseAddress!, lda: dimension,
                         b: s.baseAddress!, ldb: dimension, c: out.baseAddress!, ldc: n)
                }
            }
        }
        return similarities.max()!
    }
}
