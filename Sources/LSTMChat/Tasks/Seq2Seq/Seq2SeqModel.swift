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
///
/// With `config.softmax == .adaptive`, an adaptive softmax (`AdaptiveSoftmax`) replaces the
/// affine layer and the full softmax: for vocabularies of tens of thousands of words.
public final class Seq2SeqModel {
    /// The last layer: an affine layer whose logits a softmax over the whole vocabulary reads, or
    /// an adaptive softmax.
    enum OutputLayer {
        case full(Affine)
        case adaptive(AdaptiveSoftmax)
    }

    public let config: ModelConfig
    public let parameters: Parameters
    let embedding: Embedding
    let encoder: LSTMStack
    let decoder: LSTMStack
    let output: OutputLayer
    let attention: LuongAttention?
    /// Generation's decoder and output layer on int8 weights (`InferenceSession`), when quantized.
    public var int8: Int8Layers?

    private var sourceEmbedded = Workspace(), targetEmbedded = Workspace()  // [S|T, B, E]
    private var stateH = Workspace(), stateC = Workspace()                  // [L, B, H]: encoder → decoder
    private var dStateH = Workspace(), dStateC = Workspace()
    private var logitsBuffer = Workspace(), dLogits = Workspace()           // [T, B, V] or [N, V]
    private var dTop = Workspace()                                          // [T, B, H]
    private var countedTop = Workspace(), dCountedTop = Workspace()         // [N, H]: rows of counted targets
    private var countedRows: [Int] = [], countedTargets: [Int32] = [], countedMask: [Float] = []
    private var keys = Workspace()                                          // [S, B, H]: attention keys
    private var topDropout = Dropout()
    private var dropoutUsed: Float = 0

    public init(config: ModelConfig, parameters: Parameters? = nil) {
        let parameters = Parameters.laidOut(config.seq2seqLayout, given: parameters)
        self.config = config
        self.parameters = parameters
        embedding = Embedding(parameters, config: config)
        encoder = LSTMStack(inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers, parameters: parameters, prefix: "encoder")
        decoder = LSTMStack(inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers, parameters: parameters, prefix: "decoder")
        let H = config.hiddenSize, V = config.vocabSize
        output = config.softmax == .adaptive
            ? .adaptive(AdaptiveSoftmax(parameters, name: "proj", inputSize: H, vocabSize: V, cutoffs: config.cutoffs))
            : .full(Affine(parameters, name: "proj", inputSize: H, outputSize: V))
        attention = config.attention ? LuongAttention(hiddenSize: config.hiddenSize, parameters: parameters) : nil
    }

    /// Computes the scores [T, B, V] of a batch (valid until the next forward): logits, or
    /// log-probabilities with an adaptive softmax (`scores(_:rows:into:)`).
    /// `dropout > 0` is training mode: dropout between layers and before the output layer
    /// (on h~ with attention).
    @discardableResult
    public func forward(_ batch: Seq2SeqBatch, dropout: Float = 0, rng: inout Xoshiro256) -> UnsafeMutableBufferPointer<Float> {
        let rows = batch.targetSteps * batch.batchSize, V = config.vocabSize
        let top = forwardToTop(batch, dropout: dropout, rng: &rng)
        let logits = logitsBuffer.reserve(rows * V)
        scores(top, rows: rows, into: logits)
        return .init(start: logits, count: rows * V)
    }

    /// The output layer's scores over the vocabulary of `rows` rows of the top layer, [rows, V]:
    /// the affine layer's logits, or the adaptive softmax's exact log-probabilities. A softmax
    /// over either gives the model's distribution, so decoding reads both alike.
    func scores(_ top: UnsafePointer<Float>, rows: Int, into scores: UnsafeMutablePointer<Float>) {
        StepProfile.measure(.outputLayer) {
            switch output {
            case .full(let proj): proj.forward(top, rows: rows, into: scores)
            case .adaptive(let softmax): softmax.logProbabilities(top, rows: rows, into: scores)
            }
        }
    }

    /// Everything up to the affine layer: what it reads, [T, B, H].
    private func forwardToTop(_ batch: Seq2SeqBatch, dropout: Float, rng: inout Xoshiro256) -> UnsafePointer<Float> {
        let B = batch.batchSize, S = batch.sourceSteps, T = batch.targetSteps
        let E = config.embedSize, H = config.hiddenSize, L = config.layers
        dropoutUsed = dropout

        let src = sourceEmbedded.reserve(S * B * E)
        embed(batch.source, into: src)
        let h = stateH.reserve(L * B * H), c = stateC.reserve(L * B * H)
        batch.sourceLengths.withUnsafeBufferPointer { lengths in
            _ = encoder.forward(src, steps: S, batch: B, lengths: lengths.baseAddress!, dropout: dropout, rng: &rng)
        }
        encoder.copyFinalState(h: h, c: c)

        let tgt = targetEmbedded.reserve(T * B * E)
        embed(batch.decoderInputs, into: tgt)
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
        return top
    }

    /// Mean cross-entropy of a batch, without gradients.
    public func loss(_ batch: Seq2SeqBatch) -> Float {
        var rng = Xoshiro256(seed: 0)
        return countedLoss(batch, top: forwardToTop(batch, dropout: 0, rng: &rng), dTop: nil)
    }

    /// Forward and backward: sets `parameters.gradients` to d loss / d parameters and
    /// returns the loss.
    public func lossAndGradients(_ batch: Seq2SeqBatch, dropout: Float = 0, rng: inout Xoshiro256) -> Float {
        let B = batch.batchSize, S = batch.sourceSteps, T = batch.targetSteps
        let H = config.hiddenSize, L = config.layers
        zeroGradients()
        let top = forwardToTop(batch, dropout: dropout, rng: &rng)
        let dTop = self.dTop.reserve(T * B * H)
        let loss = countedLoss(batch, top: top, dTop: dTop)
        if dropoutUsed > 0 { topDropout.backward(dTop, count: T * B * H) }
        var dDecoderOutput = UnsafePointer(dTop), dEncoderOutput: UnsafePointer<Float>?
        if let attention {  // d h~ → d (decoder outputs) and d (encoder outputs)
            let d = attention.backward(dTop)
            dDecoderOutput = UnsafePointer(d.dQuery)
            dEncoderOutput = UnsafePointer(d.dMemory)
        }
        let dTarget = decoder.backward(dOutput: dDecoderOutput, dhFinal: nil, dcFinal: nil)
        embedBackward(batch.decoderInputs, dOut: dTarget)

        // The decoder's initial state is the encoder's final state: its gradient goes back there.
        let dh = dStateH.reserve(L * B * H), dc = dStateC.reserve(L * B * H)
        decoder.copyInitialStateGradient(dh: dh, dc: dc)
        let dSource = encoder.backward(dOutput: dEncoderOutput, dhFinal: dh, dcFinal: dc)
        embedBackward(batch.source, dOut: dSource)
        return loss
    }

    /// The output layer, softmax and cross-entropy at the positions whose target counts (mask ≠ 0)
    /// only, and with `dTop` their gradient: d loss / d top [T, B, H], zero at the other positions.
    ///
    /// Answers in a batch differ in length, and the affine layer and softmax over the vocabulary
    /// are the largest part of a step: a quarter of the bundled corpus's [T, B] positions is
    /// padding after an answer. A position that does not count has a zero loss gradient, so
    /// leaving it out changes no gradient (only the order in which the weight gradient sums).
    private func countedLoss(_ batch: Seq2SeqBatch, top: UnsafePointer<Float>, dTop: UnsafeMutablePointer<Float>?) -> Float {
        let all = batch.targetSteps * batch.batchSize, H = config.hiddenSize, V = config.vocabSize
        countedRows.removeAll(keepingCapacity: true)
        countedTargets.removeAll(keepingCapacity: true)
        countedMask.removeAll(keepingCapacity: true)
        for r in 0..<all where batch.mask[r] != 0 {
            countedRows.append(r)
            countedTargets.append(batch.targets[r])
            countedMask.append(batch.mask[r])
        }
        let n = countedRows.count, gathered = n < all
        var x = top
        if gathered {
            let rows = countedTop.reserve(n * H)
            for (i, r) in countedRows.enumerated() { (rows + i * H).update(from: top + r * H, count: H) }
            x = UnsafePointer(rows)
        }
        let dx = dTop.map { gathered ? dCountedTop.reserve(n * H) : $0 }
        let loss: Float
        switch output {
        case .full(let proj):
            let logits = logitsBuffer.reserve(n * V)
            StepProfile.measure(.outputLayer) { proj.forward(x, rows: n, into: logits) }
            let dz = dTop.map { _ in dLogits.reserve(n * V) }
            loss = softmaxCrossEntropy(logits, rows: n, dLogits: dz)
            if let dx, let dz { StepProfile.measure(.outputLayerBackward) { proj.backward(x, dy: dz, rows: n, dx: dx) } }
        case .adaptive(let softmax):
            loss = StepProfile.measure(.outputLayer) {
                countedTargets.withUnsafeBufferPointer { targets in
                    countedMask.withUnsafeBufferPointer { mask in
                        softmax.loss(x, rows: n, targets: targets.baseAddress!, mask: mask.baseAddress!, dx: dx)
                    }
                }
            }
        }
        if let dTop, let dx, gathered { scatter(dx, into: dTop, positions: all) }
        return loss
    }

    // MARK: - The parts of a step, each timed as its phase for `bench --profile`

    private func embed(_ ids: [Int32], into out: UnsafeMutablePointer<Float>) {
        StepProfile.measure(.embedding) { ids.withUnsafeBufferPointer { embedding.forward(ids: $0.baseAddress!, count: ids.count, into: out) } }
    }

    private func embedBackward(_ ids: [Int32], dOut: UnsafePointer<Float>) {
        StepProfile.measure(.embedding) { ids.withUnsafeBufferPointer { embedding.backward(ids: $0.baseAddress!, count: ids.count, dOut: dOut) } }
    }

    private func zeroGradients() { StepProfile.measure(.zeroGradients) { parameters.zeroGradients() } }

    /// The mean cross-entropy of the counted positions' softmax, and with `dLogits` its gradient.
    private func softmaxCrossEntropy(_ logits: UnsafePointer<Float>, rows n: Int, dLogits: UnsafeMutablePointer<Float>?) -> Float {
        StepProfile.measure(.softmaxCrossEntropy) {
            countedTargets.withUnsafeBufferPointer { targets in
                countedMask.withUnsafeBufferPointer { mask in
                    SoftmaxCrossEntropy.forward(logits: logits, targets: targets.baseAddress!, mask: mask.baseAddress!,
                                                rows: n, classes: config.vocabSize, dLogits: dLogits)
                }
            }
        }
    }

    /// d top [positions, H] from the gathered rows' gradients: theirs at the counted positions, 0 elsewhere.
    private func scatter(_ dRows: UnsafePointer<Float>, into dTop: UnsafeMutablePointer<Float>, positions: Int) {
        let H = config.hiddenSize
        StepProfile.measure(.outputLayerBackward) {
            dTop.update(repeating: 0, count: positions * H)
            for (i, r) in countedRows.enumerated() { (dTop + r * H).update(from: dRows + i * H, count: H) }
        }
    }

    /// The encoder's final hidden and cell states of the last forward, [L, B, H] each.
    public var encoderFinalState: (h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>) {
        (stateH.pointer, stateC.pointer)
    }
}

extension Seq2SeqModel: Int8Generating {
    public static let int8Stacks: (reader: String?, writer: String) = (reader: "encoder", writer: "decoder")
}

extension Seq2SeqModel: TrainableModel {
    public static func layout(config: ModelConfig, labels: Int) -> ParameterLayout { config.seq2seqLayout }
    public static func make(config: ModelConfig, labels: Int, parameters: Parameters?) -> Seq2SeqModel {
        Seq2SeqModel(config: config, parameters: parameters)
    }
    public static func tokenCount(of batch: Seq2SeqBatch) -> Int { batch.targetTokenCount }
}
