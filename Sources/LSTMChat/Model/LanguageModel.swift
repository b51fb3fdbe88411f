/// The plain language model: embedding → LSTM stack → affine → softmax, trained to predict
/// the next token. The seq2seq decoder is this model started from the encoder's state; it is
/// kept on its own because PyTorch's `lstm_*` fixtures check exactly this form.
public final class LanguageModel {
    public let config: ModelConfig
    public let parameters: Parameters
    let embedding: Embedding
    let lstm: LSTMStack
    let proj: Affine
    private var embedded = Workspace(), logitsBuffer = Workspace(), dLogits = Workspace(), dTop = Workspace()

    public init(config: ModelConfig, parameters: Parameters? = nil) {
        let parameters = parameters ?? Parameters(layout: config.languageModelLayout)
        precondition(parameters.layout == config.languageModelLayout, "parameters do not match the model configuration")
        self.config = config
        self.parameters = parameters
        let e = parameters.tensor("embedding.weight"), w = parameters.tensor("proj.weight"), b = parameters.tensor("proj.bias")
        embedding = Embedding(vocabSize: config.vocabSize, dim: config.embedSize, weight: e.value, gradient: e.gradient)
        lstm = LSTMStack(inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers, parameters: parameters, prefix: "lstm")
        proj = Affine(inputSize: config.hiddenSize, outputSize: config.vocabSize,
                      weight: w.value, bias: b.value, weightGradient: w.gradient, biasGradient: b.gradient)
    }

    /// inputs and targets are time-major [T, B]; mask [T, B] is 1 where a target counts.
    /// Returns the loss and the logits [T, B, V]; sets `parameters.gradients`.
    public func lossAndGradients(inputs: [Int32], targets: [Int32], mask: [Float], steps T: Int, batch B: Int)
        -> (loss: Float, logits: [Float])
    {
        let E = config.embedSize, H = config.hiddenSize, V = config.vocabSize
        parameters.zeroGradients()
        var rng = Xoshiro256(seed: 0)
        let x = embedded.reserve(T * B * E)
        inputs.withUnsafeBufferPointer { embedding.forward(ids: $0.baseAddress!, count: T * B, into: x) }
        let top = lstm.forward(x, steps: T, batch: B, rng: &rng)
        let logits = logitsBuffer.reserve(T * B * V), dz = dLogits.reserve(T * B * V)
        proj.forward(top, rows: T * B, into: logits)
        let loss = targets.withUnsafeBufferPointer { t in
            mask.withUnsafeBufferPointer { m in
                SoftmaxCrossEntropy.forward(logits: logits, targets: t.baseAddress!, mask: m.baseAddress!,
                                            rows: T * B, classes: V, dLogits: dz)
            }
        }
        let dTop = self.dTop.reserve(T * B * H)
        proj.backward(top, dy: dz, rows: T * B, dx: dTop)
        let dx = lstm.backward(dOutput: dTop, dhFinal: nil, dcFinal: nil)
        inputs.withUnsafeBufferPointer { embedding.backward(ids: $0.baseAddress!, count: T * B, dOut: dx) }
        return (loss, Array(UnsafeBufferPointer(start: logits, count: T * B * V)))
    }
}
