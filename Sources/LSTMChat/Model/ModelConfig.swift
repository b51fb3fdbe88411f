/// The shape of a model: what a checkpoint must record to rebuild it.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var embedSize: Int
    public var hiddenSize: Int
    public var layers: Int
    /// Luong attention over the question (`LuongAttention`) between the decoder and the output layer.
    public var attention: Bool
    /// The seq2seq output layer's softmax: over the whole vocabulary (`proj`, an `Affine`), or
    /// adaptive (`AdaptiveSoftmax`) with these `cutoffs`.
    public var softmax: Softmax
    /// Adaptive softmax only: the ids where the head's shortlist ends and each tail cluster but
    /// the last ends (PyTorch's `cutoffs`, without the vocabulary size); empty for a full softmax.
    public var cutoffs: [Int]

    public enum Softmax: String, Codable, Sendable, CaseIterable { case full, adaptive }

    public init(vocabSize: Int, embedSize: Int, hiddenSize: Int, layers: Int, attention: Bool = false,
                softmax: Softmax = .full, cutoffs: [Int] = []) {
        self.vocabSize = vocabSize
        self.embedSize = embedSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.attention = attention
        self.softmax = softmax
        self.cutoffs = softmax == .adaptive ? cutoffs : []
    }

    private enum CodingKeys: String, CodingKey { case vocabSize, embedSize, hiddenSize, layers, attention, softmax, cutoffs }

    /// A configuration written before attention or the adaptive softmax existed has neither.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabSize: try c.decode(Int.self, forKey: .vocabSize), embedSize: try c.decode(Int.self, forKey: .embedSize),
                  hiddenSize: try c.decode(Int.self, forKey: .hiddenSize), layers: try c.decode(Int.self, forKey: .layers),
                  attention: try c.decodeIfPresent(Bool.self, forKey: .attention) ?? false,
                  softmax: try c.decodeIfPresent(Softmax.self, forKey: .softmax) ?? .full,
                  cutoffs: try c.decodeIfPresent([Int].self, forKey: .cutoffs) ?? [])
    }

    /// "vocabulary 1234, 1 layer of 128 with attention", for the models' summaries.
    public var summary: String {
        "vocabulary \(vocabSize), \(layers) layer\(layers == 1 ? "" : "s") of \(hiddenSize)" + (attention ? " with attention" : "")
            + softmaxSummary
    }

    /// ", adaptive softmax (cutoffs 2000,10000)", or nothing for the full softmax.
    public var softmaxSummary: String {
        softmax == .adaptive ? ", adaptive softmax (cutoffs \(cutoffs.map(String.init).joined(separator: ",")))" : ""
    }

    /// Why `cutoffs` cannot split this vocabulary for an adaptive softmax, or nil when they can:
    /// PyTorch's rules (increasing, above 0, below the vocabulary size) and a projection of at
    /// least one unit for every tail cluster.
    public var adaptiveSoftmaxProblem: String? {
        guard softmax == .adaptive else { return nil }
        let list = cutoffs.map(String.init).joined(separator: ",")
        guard !cutoffs.isEmpty else { return "an adaptive softmax needs at least one cutoff" }
        guard cutoffs.first! > 0, zip(cutoffs, cutoffs.dropFirst()).allSatisfy({ $0 < $1 }) else {
            return "cutoffs \(list) must increase and be above 0"
        }
        guard cutoffs.last! < vocabSize else {
            return "cutoffs \(list) must be below the vocabulary size, \(vocabSize) (give smaller --cutoffs, or use --softmax full)"
        }
        guard AdaptiveSoftmax.projectionSize(hidden: hiddenSize, cluster: cutoffs.count - 1) > 0 else {
            return "hidden size \(hiddenSize) is too small for \(cutoffs.count) tail clusters (each divides it by \(AdaptiveSoftmax.divValue) again)"
        }
        return nil
    }

    /// Every parameter of the encoder–decoder, under PyTorch's names, in PyTorch's module order
    /// (`attn.*` and `attn_combine.*` only with attention).
    public var seq2seqLayout: ParameterLayout {
        var layout = ParameterLayout()
        layout.append("embedding.weight", [vocabSize, embedSize])
        layout.appendLSTM("encoder", inputSize: embedSize, hiddenSize: hiddenSize, layers: layers)
        layout.appendLSTM("decoder", inputSize: embedSize, hiddenSize: hiddenSize, layers: layers)
        if attention {
            layout.append("attn.weight", [hiddenSize, hiddenSize])
            layout.append("attn_combine.weight", [hiddenSize, 2 * hiddenSize])
            layout.append("attn_combine.bias", [hiddenSize])
        }
        if softmax == .adaptive {
            layout.appendAdaptiveSoftmax("proj", inputSize: hiddenSize, vocabSize: vocabSize, cutoffs: cutoffs)
        } else {
            layout.append("proj.weight", [vocabSize, hiddenSize])
            layout.append("proj.bias", [vocabSize])
        }
        return layout
    }

    /// The plain language model: embedding → LSTM stack (`lstm.*`) → affine.
    public var languageModelLayout: ParameterLayout {
        var layout = ParameterLayout()
        layout.append("embedding.weight", [vocabSize, embedSize])
        layout.appendLSTM("lstm", inputSize: embedSize, hiddenSize: hiddenSize, layers: layers)
        layout.append("proj.weight", [vocabSize, hiddenSize])
        layout.append("proj.bias", [vocabSize])
        return layout
    }
}
