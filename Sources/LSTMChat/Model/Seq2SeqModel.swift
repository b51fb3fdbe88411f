/// The encoder–decoder the program trains.
///
///     question ──embedding──▶ encoder LSTM stack ──(h, c) of every layer──┐
///     <bos> answer ──embedding──▶ decoder LSTM stack (starts from that state) ──▶ affine ──▶ softmax
///
/// One embedding is shared by both sides. The encoder's final state of each row is taken
/// after that row's last real token, and gradients flow back into the encoder through it.
///
/// With `config.attention`, Luong attention sits between the decoder and the affine layer:
/// each decoder output is combined with a weighted mean of the encoder's top-layer outputs
/// over its question (`LuongAttention`), and gradients reach the encoder through those too.
public final class Seq2SeqModel {
    public let config: ModelConfig
    public let parameters: Parameters
    let embedding: Embedding
    let encoder: LSTMStack
    let decoder: LSTMStack
    let proj: Affine
    let attention: LuongAttention?

    private var sourceEmbedded = Workspace(), targetEmbedded = Workspace()  // [S|T, B, E]
    private var stateH = Workspace(), stateC = Workspace()                  // [L, B, H]: encoder → decoder
    private var dStateH = Workspace(), dStateC = Workspace()
    private var logitsBuffer = Workspace(), dLogits = Workspace()           // [T, B, V]
    private var dTop = Workspace()                                          // [T, B, H]
    private var keys = Workspace()                                          // [S, B, H]: attention keys
    private var topDropout = Dropout()
    private var topInput: UnsafePointer<Float>?  // what proj read in the last forward
    private var dropoutUsed: Float = 0

    public init(config: ModelConfig, parameters: Parameters? = nil) {
        let parameters = parameters ?? Parameters(layout: config.seq2seqLayout)
        precondition(parameters.layout == config.seq2seqLayout, "parameters do not match the model configuration")
        self.config = config
        self.parameters = parameters
        let e = parameters.tensor("embedding.weight"), w = parameters.tensor("proj.weight"), b = parameters.tensor("proj.bias")
        embedding = Embedding(vocabSize: config.vocabSize, dim: config.embedSize, weight: e.value, gradient: e.gradient)
        encoder = LSTMStack(inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers, parameters: parameters, prefix: "encoder")
        decoder = LSTMStack(inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers, parameters: parameters, prefix: "decoder")
        proj = Affine(inputSize: config.hiddenSize, outputSize: config.vocabSize,
                      weight: w.value, bias: b.value, weightGradient: w.gradient, biasGradient: b.gradient)
        attention = config.attention ? LuongAttention(hiddenSize: config.hiddenSize, parameters: parameters) : nil
    }

    /// Computes the logits [T, B, V] of a batch (valid until the next forward).
    /// `dropout > 0` is training mode: dropout between layers and before the affine layer
    /// (on h~ with attention).
    @discardableResult
    public func forward(_ batch: Seq2SeqBatch, dropout: Float = 0, rng: inout Xoshiro256) -> UnsafeMutableBufferPointer<Float> {
        let B = batch.batchSize, S = batch.sourceSteps, T = batch.targetSteps
        let E = config.embedSize, H = config.hiddenSize, L = config.layers, V = config.vocabSize
        dropoutUsed = dropout

        let src = sourceEmbedded.reserve(S * B * E)
        StepProfile.measure(.embedding) { batch.source.withUnsafeBufferPointer { embedding.forward(ids: $0.baseAddress!, count: S * B, into: src) } }
        let h = stateH.reserve(L * B * H), c = stateC.reserve(L * B * H)
        batch.sourceLengths.withUnsafeBufferPointer { lengths in
            _ = encoder.forward(src, steps: S, batch: B, lengths: lengths.baseAddress!, dropout: dropout, rng: &rng)
        }
        encoder.copyFinalState(h: h, c: c)

        let tgt = targetEmbedded.reserve(T * B * E)
        StepProfile.measure(.embedding) { batch.decoderInputs.withUnsafeBufferPointer { embedding.forward(ids: $0.baseAddress!, count: T * B, into: tgt) } }
        var top = UnsafePointer(decoder.forward(tgt, steps: T, batch: B, h0: h, c0: c, dropout: dropout, rng: &rng))
        if let attention {
            let memory = UnsafePointer(encoder.output), keys = self.keys.reserve(S * B * H)
            attention.keys(of: memory, count: S * B, into: keys)
            top = batch.sourceLengths.withUnsafeBufferPointer { lengths in
                UnsafePointer(attention.forward(top, steps: T, batch: B, memory: memory, keys: keys,
                                                sourceSteps: S, sources: B, lengths: lengths.baseAddress!))
            }
        }
        if dropout > 0 { top = topDropout.forward(top, count: T * B * H, p: dropout, rng: &rng) }
        topInput = top

        let logits = logitsBuffer.reserve(T * B * V)
        StepProfile.measure(.outputLayer) { proj.forward(top, rows: T * B, into: logits) }
        return .init(start: logits, count: T * B * V)
    }

    /// Mean cross-entropy of a batch, without gradients.
    public func loss(_ batch: Seq2SeqBatch) -> Float {
        var rng = Xoshiro256(seed: 0)
        let logits = forward(batch, rng: &rng)
        return crossEntropy(batch, logits: logits, dLogits: nil)
    }

    /// Forward and backward: sets `parameters.gradients` to d loss / d parameters and
    /// returns the loss.
    public func lossAndGradients(_ batch: Seq2SeqBatch, dropout: Float = 0, rng: inout Xoshiro256) -> Float {
        let B = batch.batchSize, S = batch.sourceSteps, T = batch.targetSteps
        let H = config.hiddenSize, L = config.layers, V = config.vocabSize
        StepProfile.measure(.zeroGradients) { parameters.zeroGradients() }
        let logits = forward(batch, dropout: dropout, rng: &rng)
        let dz = dLogits.reserve(T * B * V)
        let loss = StepProfile.measure(.softmaxCrossEntropy) { crossEntropy(batch, logits: logits, dLogits: dz) }

        let dTop = self.dTop.reserve(T * B * H)
        StepProfile.measure(.outputLayerBackward) { proj.backward(topInput!, dy: dz, rows: T * B, dx: dTop) }
        if dropoutUsed > 0 { topDropout.backward(dTop, count: T * B * H) }
        var dDecoderOutput = UnsafePointer(dTop), dEncoderOutput: UnsafePointer<Float>?
        if let attention {  // d h~ → d (decoder outputs) and d (encoder outputs)
            let d = attention.backward(dTop)
            dDecoderOutput = UnsafePointer(d.dQuery)
            dEncoderOutput = UnsafePointer(d.dMemory)
        }
        let dTarget = decoder.backward(dOutput: dDecoderOutput, dhFinal: nil, dcFinal: nil)
        StepProfile.measure(.embedding) { batch.decoderInputs.withUnsafeBufferPointer { embedding.backward(ids: $0.baseAddress!, count: T * B, dOut: dTarget) } }

        // The decoder's initial state is the encoder's final state: its gradient goes back there.
        let dh = dStateH.reserve(L * B * H), dc = dStateC.reserve(L * B * H)
        decoder.copyInitialStateGradient(dh: dh, dc: dc)
        let dSource = encoder.backward(dOutput: dEncoderOutput, dhFinal: dh, dcFinal: dc)
        StepProfile.measure(.embedding) { batch.source.withUnsafeBufferPointer { embedding.backward(ids: $0.baseAddress!, count: S * B, dOut: dSource) } }
        return loss
    }

    private func crossEntropy(_ batch: Seq2SeqBatch, logits: UnsafeMutableBufferPointer<Float>, dLogits: UnsafeMutablePointer<Float>?) -> Float {
        batch.targets.withUnsafeBufferPointer { targets in
            batch.mask.withUnsafeBufferPointer { mask in
                SoftmaxCrossEntropy.forward(
                    logits: logits.baseAddress!, targets: targets.baseAddress!, mask: mask.baseAddress!,
                    rows: batch.targetSteps * batch.batchSize, classes: config.vocabSize, dLogits: dLogits)
            }
        }
    }

    /// The encoder's final hidden and cell states of the last forward, [L, B, H] each.
    public var encoderFinalState: (h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>) {
        (stateH.pointer, stateC.pointer)
    }
}
