/// The shape of a model: what a checkpoint must record to rebuild it.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var embedSize: Int
    public var hiddenSize: Int
    public var layers: Int

    public init(vocabSize: Int, embedSize: Int, hiddenSize: Int, layers: Int) {
        self.vocabSize = vocabSize
        self.embedSize = embedSize
        self.hiddenSize = hiddenSize
        self.layers = layers
    }

    /// Every parameter of the encoder–decoder, under PyTorch's names, in PyTorch's module order.
    public var seq2seqLayout: ParameterLayout {
        var layout = ParameterLayout()
        layout.append("embedding.weight", [vocabSize, embedSize])
        layout.appendLSTM("encoder", inputSize: embedSize, hiddenSize: hiddenSize, layers: layers)
        layout.appendLSTM("decoder", inputSize: embedSize, hiddenSize: hiddenSize, layers: layers)
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
