import Foundation

/// Named tensors laid out one after another in a single flat buffer, in PyTorch's names and
/// shapes. One flat buffer makes Adam, clipping and norms single loops, and a checkpoint a
/// list of (name, shape, offset).
public struct ParameterLayout: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var entries: [Entry] = []
    public private(set) var count = 0

    public init() {}

    mutating func append(_ name: String, _ shape: [Int]) {
        entries.append(Entry(name: name, shape: shape, offset: count))
        count += shape.reduce(1, *)
    }

    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// PyTorch's `nn.LSTM` parameters for a stack called `prefix` (`lstm`, `encoder`, `decoder`).
    mutating func appendLSTM(_ prefix: String, inputSize: Int, hiddenSize: Int, layers: Int) {
        for l in 0..<layers {
            let input = l == 0 ? inputSize : hiddenSize
            append("\(prefix).weight_ih_l\(l)", [4 * hiddenSize, input])
            append("\(prefix).weight_hh_l\(l)", [4 * hiddenSize, hiddenSize])
            append("\(prefix).bias_ih_l\(l)", [4 * hiddenSize])
            append("\(prefix).bias_hh_l\(l)", [4 * hiddenSize])
        }
    }

    /// PyTorch's `nn.AdaptiveLogSoftmaxWithLoss` (no head bias) called `prefix`: `head.weight`
    /// [shortlist + clusters, in], then for cluster i `tail.i.0.weight` [in / 4^(i+1), in] (the
    /// projection) and `tail.i.1.weight` [cluster size, in / 4^(i+1)].
    mutating func appendAdaptiveSoftmax(_ prefix: String, inputSize: Int, vocabSize: Int, cutoffs: [Int]) {
        append("\(prefix).head.weight", [cutoffs[0] + cutoffs.count, inputSize])
        for (i, (start, end)) in zip(cutoffs, cutoffs.dropFirst() + [vocabSize]).enumerated() {
            let projection = AdaptiveSoftmax.projectionSize(hidden: inputSize, cluster: i)
            append("\(prefix).tail.\(i).0.weight", [projection, inputSize])
            append("\(prefix).tail.\(i).1.weight", [end - start, projection])
        }
    }
}

/// Parameter values and their gradients, in the same layout.
public final class Parameters {
    public let layout: ParameterLayout
    public let values: FloatBuffer
    public let gradients: FloatBuffer

    /// `given` (a checkpoint's, which must be laid out as `layout`), or new parameters of `layout`.
    public static func laidOut(_ layout: ParameterLayout, given: Parameters?) -> Parameters {
        guard let given else { return Parameters(layout: layout) }
        precondition(given.layout == layout, "parameters do not match the model configuration")
        return given
    }

    public init(layout: ParameterLayout) {
        self.layout = layout
        values = FloatBuffer(count: layout.count)
        gradients = FloatBuffer(count: layout.count)
    }

    public func value(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        guard let e = layout.entry(name) else { preconditionFailure("no parameter named \(name)") }
        return .init(start: values.pointer + e.offset, count: e.count)
    }

    public func gradient(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        guard let e = layout.entry(name) else { preconditionFailure("no parameter named \(name)") }
        return .init(start: gradients.pointer + e.offset, count: e.count)
    }

    /// A weight and its gradient, as layers hold them.
    func tensor(_ name: String) -> (value: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        guard let e = layout.entry(name) else { preconditionFailure("no parameter named \(name)") }
        return (values.pointer + e.offset, gradients.pointer + e.offset)
    }

    public func zeroGradients() {
        let g = gradients.pointer
        parallelChunks(gradients.count) { (g + $0.lowerBound).update(repeating: 0, count: $0.count) }
    }

    /// sqrt(Σ g²) over every gradient: the norm that clipping by global norm uses.
    public var gradientNorm: Float {
        // Fixed parts of 2¹⁶ (summed in order) give the same norm whatever the number of threads.
        let g = gradients.pointer, count = gradients.count, part = 1 << 16
        let parts = (count + part - 1) / part
        var sums = [Double](repeating: 0, count: parts)
        sums.withUnsafeMutableBufferPointer { sums in
            parallelChunks(parts, minimumPerThread: 4) { range in
                for i in range { sums[i] = sumOfSquares(g + i * part, min(part, count - i * part)) }
            }
        }
        return Float(sums.reduce(0, +).squareRoot())
    }

    /// Scales all gradients so their global norm is at most `maxNorm`; returns the norm before.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Float {
        let norm = gradientNorm
        if maxNorm > 0, norm > maxNorm {
            let scale = maxNorm / (norm + 1e-6)  // the same small epsilon as torch.nn.utils.clip_grad_norm_
            let g = gradients.pointer
            parallelChunks(gradients.count) { for i in $0 { g[i] *= scale } }
        }
        return norm
    }

    /// PyTorch's default initialisation: embeddings N(0, 1); LSTM and linear weights and biases
    /// U(-1/√fan, 1/√fan) with fan the hidden size (LSTM) or the input size (linear: `proj` and
    /// the adaptive softmax's `proj.head` and `proj.tail.*`, `attn`, `attn_combine`, whose bias
    /// takes its weight's input size).
    public func initialize(seed: UInt64, hiddenSize: Int) {
        var rng = Xoshiro256(seed: seed)
        for e in layout.entries {
            let p = values.pointer + e.offset
            if e.name.hasPrefix("embedding") {
                for i in 0..<e.count { p[i] = rng.nextGaussian() }
            } else {
                let module = String(e.name.prefix { $0 != "." })
                let isLinear = ["proj", "attn", "attn_combine"].contains(module)
                let weight = e.name.hasSuffix(".bias") ? String(e.name.dropLast(4)) + "weight" : e.name
                let fan = isLinear ? (layout.entry(weight)?.shape[1] ?? hiddenSize) : hiddenSize
                let bound = 1 / Float(fan).squareRoot()
                for i in 0..<e.count { p[i] = (2 * rng.nextFloat() - 1) * bound }
            }
        }
    }

    /// True when every value is finite.
    public var allFinite: Bool {
        for i in 0..<values.count where !values.pointer[i].isFinite { return false }
        return true
    }
}

extension Xoshiro256 {
    /// A standard normal sample (Box–Muller).
    mutating func nextGaussian() -> Float {
        let u1 = max(nextDouble(), 1e-300), u2 = nextDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
