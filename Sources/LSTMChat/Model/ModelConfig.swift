/// The shape of a model: what a checkpoint must record to rebuild it.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var embedSize: Int
    public var hiddenSize: Int
    public var layers: Int
    /// Luong attention over the question (`LuongAttention`) between the decoder and the output layer.
    public var attention: Bool

    public init(vocabSize: Int, embedSize: Int, hiddenSize: Int, layers: Int, attention: Bool = false) {
        self.vocabSize = vocabSize
        self.embedSize = embedSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.attention = attention
    }

    private enum CodingKeys: String, CodingKey { case vocabSize, embedSize, hiddenSize, layers, attention }

    /// A configuration written before attention existed has none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabSize: try c.decode(Int.self, forKey: .vocabSize), embedSize: try c.decode(Int.self, forKey: .embedSize),
                  hiddenSize: try c.decode(Int.self, forKey: .hiddenSize), layers: try c.decode(Int.self, forKey: .layers),
                  attention: try c.decodeIfPresent(Bool.self, forKey: .attention) ?? false)
    }

    /// "vocabulary 1234, 1 layer of 128 with attention", for the models' summaries.
    public var summary: String {
        "vocabulary \(vocabSize), \(layers) layer\(layers == 1 ? "" : "s") of \(hiddenSize)" + (attention ? " with attention" : "")
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
        layout.append("proj.weight", [vocabSize, hiddenSize])
        layout.append("proj.bias", [vocabSize])
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
