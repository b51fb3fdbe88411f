/// The plain language model: embedding → LSTM stack → affine → softmax, trained to predict
/// the next token (`train --task lm`). The seq2seq decoder is this model started from the
/// encoder's state; it is kept on its own because PyTorch's `lstm_*` fixtures check exactly
/// this form.
///
/// Long texts are read in windows (truncated backpropagation through time, as char-rnn does):
/// each row of a `TextBatch` continues where the same row of the previous batch stopped, so
/// the model carries every row's (h, c) from one window to the next. Gradients stop at the
/// window's start; the state does not.
public final class LanguageModel {
    public let config: ModelConfig
    public let parameters: Parameters
    let embedding: Embedding
    let lstm: LSTMStack
    let proj: Affine
    /// Generation's LSTM stack and output layer on int8 weights (`TextGenerator`), when quantized.
    public var int8: Int8Layers?
    private var embedded = Workspace(), logitsBuffer = Workspace(), dLogits = Workspace(), dTop = Workspace()
    private var carriedH = Workspace(), carriedC = Workspace()  // [L, B, H]: the state after the last window
    private var carriedRows = 0                                  // B of that window; 0: none
    private var topDropout = Dropout()
    private var topInput: UnsafePointer<Float>?
    private var dropoutUsed: Float = 0

    public init(config: ModelConfig, parameters: Parameters? = nil) {
        let parameters = Parameters.laidOut(config.languageModelLayout, given: parameters)
        self.config = config
        self.parameters = parameters
        embedding = Embedding(parameters, config: config)
        lstm = LSTMStack(inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers, parameters: parameters, prefix: "lstm")
        proj = Affine(parameters, name: "proj", inputSize: config.hiddenSize, outputSize: config.vocabSize)
    }

    /// The logits [T, B, V] of a window (valid until the next forward). It starts from the
    /// state the previous window left when `batch.continuesPrevious` (and that window had as
    /// many rows), from zeros otherwise, and leaves its own final state for the next.
    /// `dropout > 0` is training mode: dropout between layers and before the affine layer.
    @discardableResult
    public func forward(_ batch: TextBatch, dropout: Float = 0, rng: inout Xoshiro256) -> UnsafeMutableBufferPointer<Float> {
        let T = batch.steps, B = batch.batchSize, E = config.embedSize, H = config.hiddenSize, V = config.vocabSize
        let L = config.layers
        dropoutUsed = dropout
        let x = embedded.reserve(T * B * E)
        batch.inputs.withUnsafeBufferPointer { embedding.forward(ids: $0.baseAddress!, count: T * B, into: x) }
        let carried = batch.continuesPrevious && carriedRows == B
        let h = carriedH.reserve(L * B * H), c = carriedC.reserve(L * B * H)
        // The layers copy (h0, c0) in before they run, so the same buffers can take the final state.
        var top = UnsafePointer(lstm.forward(x, steps: T, batch: B, h0: carried ? h : nil, c0: carried ? c : nil,
                                             dropout: dropout, rng: &rng))
        lstm.copyFinalState(h: h, c: c)
        carriedRows = B
        if dropout > 0 { top = topDropout.forward(top, count: T * B * H, p: dropout, rng: &rng) }
        topInput = top
        let logits = logitsBuffer.reserve(T * B * V)
        proj.forward(top, rows: T * B, into: logits)
        return .init(start: logits, count: T * B * V)
    }

    /// Forward and backward through one window: sets `parameters.gradients` and returns the
    /// mean cross-entropy of its counted targets.
    public func lossAndGradients(_ batch: TextBatch, dropout: Float = 0, rng: inout Xoshiro256) -> Float {
        let T = batch.steps, B = batch.batchSize, H = config.hiddenSize, V = config.vocabSize
        parameters.zeroGradients()
        let logits = forward(batch, dropout: dropout, rng: &rng)
        let dz = dLogits.reserve(T * B * V)
        let loss = crossEntropy(batch, logits: logits.baseAddress!, dLogits: dz)
        let dTop = self.dTop.reserve(T * B * H)
        proj.backward(topInput!, dy: dz, rows: T * B, dx: dTop)
        if dropoutUsed > 0 { topDropout.backward(dTop, count: T * B * H) }
        let dx = lstm.backward(dOutput: dTop, dhFinal: nil, dcFinal: nil)
        batch.inputs.withUnsafeBufferPointer { embedding.backward(ids: $0.baseAddress!, count: T * B, dOut: dx) }
        return loss
    }

    /// The summed cross-entropy of a window's counted targets and how many of them are the
    /// most likely token, without gradients (the state is carried as in training).
    public func score(_ batch: TextBatch) -> (lossSum: Double, correct: Int) {
        var rng = Xoshiro256(seed: 0)
        let logits = forward(batch, rng: &rng)
        let loss = crossEntropy(batch, logits: logits.baseAddress!, dLogits: nil)
        let V = config.vocabSize
        var correct = 0
        for n in 0..<(batch.steps * batch.batchSize) where batch.mask[n] != 0 {
            let row = logits[(n * V)..<((n + 1) * V)]
            if row.indices.max(by: { row[$0] < row[$1] }).map({ $0 - n * V }) == Int(batch.targets[n]) { correct += 1 }
        }
        return (Double(loss) * Double(batch.tokenCount), correct)
    }

    /// Forgets the carried state: the next window starts from zeros.
    public func resetState() { carriedRows = 0 }

    /// inputs and targets are time-major [T, B]; mask [T, B] is 1 where a target counts.
    /// From a zero state. Returns the loss and the logits [T, B, V]; sets `parameters.gradients`.
    public func lossAndGradients(inputs: [Int32], targets: [Int32], mask: [Float], steps T: Int, batch B: Int)
        -> (loss: Float, logits: [Float])
    {
        var rng = Xoshiro256(seed: 0)
        let batch = TextBatch(inputs: inputs, targets: targets, mask: mask, steps: T, batchSize: B, continuesPrevious: false)
        let loss = lossAndGradients(batch, rng: &rng)
        return (loss, Array(UnsafeBufferPointer(start: logitsBuffer.pointer, count: T * B * config.vocabSize)))
    }

    private func crossEntropy(_ batch: TextBatch, logits: UnsafePointer<Float>, dLogits: UnsafeMutablePointer<Float>?) -> Float {
        batch.targets.withUnsafeBufferPointer { targets in
            batch.mask.withUnsafeBufferPointer { mask in
                SoftmaxCrossEntropy.forward(logits: logits, targets: targets.baseAddress!, mask: mask.baseAddress!,
                                            rows: batch.steps * batch.batchSize, classes: config.vocabSize, dLogits: dLogits)
            }
        }
    }
}

extension LanguageModel: Int8Generating {
    public static let int8Stacks: (reader: String?, writer: String) = (reader: nil, writer: "lstm")
}

extension LanguageModel: TrainableModel {
    public static func layout(config: ModelConfig, labels: Int) -> ParameterLayout { config.languageModelLayout }
    public static func make(config: ModelConfig, labels: Int, parameters: Parameters?) -> LanguageModel {
        LanguageModel(config: config, parameters: parameters)
    }
    public static func tokenCount(of batch: TextBatch) -> Int { batch.tokenCount }

    /// The (h, c) the last window left, [L, B, H] each, named "h" and "c"; nothing once forgotten.
    public func carriedState() -> [SafetensorsFile.Tensor] {
        guard carriedRows > 0 else { return [] }
        let shape = [config.layers, carriedRows, config.hiddenSize], count = shape.reduce(1, *)
        return [("h", carriedH), ("c", carriedC)].map { name, buffer in
            .init(name: name, shape: shape, values: Array(UnsafeBufferPointer(start: buffer.pointer, count: count)))
        }
    }

    /// Carries the saved (h, c) into the next window that continues the text.
    public func restoreCarriedState(_ tensors: [SafetensorsFile.Tensor]) -> Bool {
        guard !tensors.isEmpty else { resetState(); return true }
        guard tensors.count == 2, let h = tensors.first(where: { $0.name == "h" }), let c = tensors.first(where: { $0.name == "c" }),
              h.shape == c.shape, h.shape.count == 3, h.shape[0] == config.layers, h.shape[1] > 0, h.shape[2] == config.hiddenSize,
              h.values.count == h.shape.reduce(1, *), c.values.count == h.values.count else { return false }
        h.values.withUnsafeBufferPointer { carriedH.reserve($0.count).update(from: $0.baseAddress!, count: $0.count) }
        c.values.withUnsafeBufferPointer { carriedC.reserve($0.count).update(from: $0.baseAddress!, count: $0.count) }
        carriedRows = h.shape[1]
        return true
    }
}

/// One window of text for each of B rows, time-major: row b reads `inputs[t·B + b]` and is
/// trained to predict `targets[t·B + b]`, the token after it, where `mask` is 1.
public struct TextBatch: Equatable, Sendable {
    public let steps: Int
    public let batchSize: Int
    public var inputs: [Int32]   // [T, B]
    public var targets: [Int32]  // [T, B]
    public var mask: [Float]     // [T, B]
    /// True when each row goes on from where the same row of the previous batch stopped.
    public var continuesPrevious: Bool

    public init(inputs: [Int32], targets: [Int32], mask: [Float], steps: Int, batchSize: Int, continuesPrevious: Bool) {
        precondition(steps > 0 && batchSize > 0 && inputs.count == steps * batchSize
                     && targets.count == inputs.count && mask.count == inputs.count)
        self.steps = steps
        self.batchSize = batchSize
        self.inputs = inputs
        self.targets = targets
        self.mask = mask
        self.continuesPrevious = continuesPrevious
    }

    /// The number of targets that count.
    public var tokenCount: Int { mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
}
