/// A lookup table of word vectors: `weight` is [vocab, dim] (PyTorch's `nn.Embedding`).
struct Embedding {
    let vocabSize: Int
    let dim: Int
    let weight: UnsafeMutablePointer<Float>
    let gradient: UnsafeMutablePointer<Float>

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
