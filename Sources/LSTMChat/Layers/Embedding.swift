/// A lookup table of word vectors: `weight` is [vocab, dim] (PyTorch's `nn.Embedding`).
struct Embedding {
    let vocabSize: Int
    let dim: Int
    let weight: UnsafeMutablePointer<Float>
    let gradient: UnsafeMutablePointer<Float>

    /// The model's `embedding.weight`, [vocab, embed].
    init(_ parameters: Parameters, config: ModelConfig) {
        let e = parameters.tensor("embedding.weight")
        self.init(vocabSize: config.vocabSize, dim: config.embedSize, weight: e.value, gradient: e.gradient)
    }

    init(vocabSize: Int, dim: Int, weight: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        self.vocabSize = vocabSize
        self.dim = dim
        self.weight = weight
        self.gradient = gradient
    }

    /// out[n] = weight[ids[n]] for n in 0..<count.
    func forward(ids: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        for n in 0..<count {
            (out + n * dim).update(from: weight + Int(ids[n]) * dim, count: dim)
        }
    }

    /// gradient[ids[n]] += dOut[n]: a word seen twice collects both contributions.
    func backward(ids: UnsafePointer<Int32>, count: Int, dOut: UnsafePointer<Float>) {
        for n in 0..<count {
            let g = gradient + Int(ids[n]) * dim, d = dOut + n * dim
            for j in 0..<dim { g[j] += d[j] }
        }
    }
}
