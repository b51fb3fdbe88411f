import Foundation

/// The text classifier: one label for a whole text.
///
///     text ──embedding──▶ LSTM stack ──top layer's h after the row's last real token──▶ dropout ──▶ affine ──▶ softmax over the labels
///
/// Padding never updates the state (the stack's `lengths`), so each row's reading is the one
/// after its own last token. The loss is the mean cross-entropy over the rows.
public final class ClassifierModel {
    public let config: ModelConfig
    /// How many labels; the affine layer's output size.
    public let classes: Int
    public let parameters: Parameters
    let embedding: Embedding
    let lstm: LSTMStack
    let proj: Affine

    private var embedded = Workspace()                 // [S, B, E]
    private var logitsBuffer = Workspace(), dLogits = Workspace()  // [B, C]
    private var dFinalH = Workspace()                  // [L, B, H]: zero below the top layer
    private var topDropout = Dropout()
    private var topInput: UnsafePointer<Float>?
    private var dropoutUsed: Float = 0

    /// PyTorch's names: `embedding.weight`, `lstm.*`, `proj.weight` [C, H], `proj.bias` [C].
    public static func layout(config: ModelConfig, classes: Int) -> ParameterLayout {
        var layout = ParameterLayout()
        layout.append("embedding.weight", [config.vocabSize, config.embedSize])
        layout.appendLSTM("lstm", inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers)
        layout.append("proj.weight", [classes, config.hiddenSize])
        layout.append("proj.bias", [classes])
        return layout
    }

    public init(config: ModelConfig, classes: Int, parameters: Parameters? = nil) {
        precondition(classes > 0, "a classifier has at least one label")
        let parameters = Parameters.laidOut(Self.layout(config: config, classes: classes), given: parameters)
        self.config = config
        self.classes = classes
        self.parameters = parameters
        embedding = Embedding(parameters, config: config)
        lstm = LSTMStack(inputSize: config.embedSize, hiddenSize: config.hiddenSize, layers: config.layers, parameters: parameters, prefix: "lstm")
        proj = Affine(parameters, name: "proj", inputSize: config.hiddenSize, outputSize: classes)
    }

    /// The logits [B, C] of a batch (valid until the next forward). `dropout > 0` is training
    /// mode: dropout between layers and on the reading before the affine layer.
    @discardableResult
    public func forward(_ batch: ClassifierBatch, dropout: Float = 0, rng: inout Xoshiro256) -> UnsafeMutableBufferPointer<Float> {
        let B = batch.batchSize, S = batch.steps, E = config.embedSize, H = config.hiddenSize
        dropoutUsed = dropout
        let x = embedded.reserve(S * B * E)
        batch.source.withUnsafeBufferPointer { embedding.forward(ids: $0.baseAddress!, count: S * B, into: x) }
        batch.lengths.withUnsafeBufferPointer { lengths in
            _ = lstm.forward(x, steps: S, batch: B, lengths: lengths.baseAddress!, dropout: dropout, rng: &rng)
        }
        var top = UnsafePointer(lstm.layers[config.layers - 1].finalHidden)  // [B, H]
        if dropout > 0 { top = topDropout.forward(top, count: B * H, p: dropout, rng: &rng) }
        topInput = top
        let logits = logitsBuffer.reserve(B * classes)
        proj.forward(top, rows: B, into: logits)
        return .init(start: logits, count: B * classes)
    }

    /// Mean cross-entropy of a batch, without gradients.
    public func loss(_ batch: ClassifierBatch) -> Float {
        var rng = Xoshiro256(seed: 0)
        let logits = forward(batch, rng: &rng)
        return crossEntropy(batch, logits: logits.baseAddress!, dLogits: nil)
    }

    /// Forward and backward: sets `parameters.gradients` and returns the loss.
    public func lossAndGradients(_ batch: ClassifierBatch, dropout: Float = 0, rng: inout Xoshiro256) -> Float {
        let B = batch.batchSize, S = batch.steps, H = config.hiddenSize, L = config.layers
        parameters.zeroGradients()
        let logits = forward(batch, dropout: dropout, rng: &rng)
        let dz = dLogits.reserve(B * classes)
        let loss = crossEntropy(batch, logits: logits.baseAddress!, dLogits: dz)

        // Only the top layer's final state was read: its gradient enters there, zero below.
        let dFinal = dFinalH.reserve(L * B * H)
        dFinal.update(repeating: 0, count: (L - 1) * B * H)
        let dTop = dFinal + (L - 1) * B * H
        proj.backward(topInput!, dy: dz, rows: B, dx: dTop)
        if dropoutUsed > 0 { topDropout.backward(dTop, count: B * H) }
        let dx = lstm.backward(dOutput: nil, dhFinal: dFinal, dcFinal: nil)
        batch.source.withUnsafeBufferPointer { embedding.backward(ids: $0.baseAddress!, count: S * B, dOut: dx) }
        return loss
    }

    /// Each text's probability of every label, [B][C].
    public func probabilities(_ batch: ClassifierBatch) -> [[Float]] {
        var rng = Xoshiro256(seed: 0)
        let logits = forward(batch, rng: &rng)
        return (0..<batch.batchSize).map { b in
            let row = logits[(b * classes)..<((b + 1) * classes)]
            let largest = row.max()!
            let e = row.map { exp($0 - largest) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }

    private func crossEntropy(_ batch: ClassifierBatch, logits: UnsafePointer<Float>, dLogits: UnsafeMutablePointer<Float>?) -> Float {
        let mask = [Float](repeating: 1, count: batch.batchSize)
        return batch.labels.withUnsafeBufferPointer { labels in
            mask.withUnsafeBufferPointer { mask in
                SoftmaxCrossEntropy.forward(logits: logits, targets: labels.baseAddress!, mask: mask.baseAddress!,
                                            rows: batch.batchSize, classes: classes, dLogits: dLogits)
            }
        }
    }
}

/// Texts and their labels, time-major and padded with 0 at the end.
public struct ClassifierBatch: Equatable, Sendable {
    public let batchSize: Int
    public let steps: Int
    public var source: [Int32]   // [S, B]
    public var lengths: [Int32]  // [B]
    public var labels: [Int32]   // [B]

    /// From token ids (each text at least one token) and label ids.
    public init(texts: [[Int32]], labels: [Int32]) {
        let B = texts.count
        precondition(B > 0 && labels.count == B, "one label for each text")
        precondition(texts.allSatisfy { !$0.isEmpty }, "every text has a token")
        batchSize = B
        steps = texts.map(\.count).max()!
        source = Array(repeating: 0, count: steps * B)
        for b in 0..<B { for t in 0..<texts[b].count { source[t * B + b] = texts[b][t] } }
        lengths = texts.map { Int32($0.count) }
        self.labels = labels
    }
}

extension ClassifierModel: TrainableModel {
    public static func layout(config: ModelConfig, labels: Int) -> ParameterLayout { layout(config: config, classes: labels) }
    public static func make(config: ModelConfig, labels: Int, parameters: Parameters?) -> ClassifierModel {
        ClassifierModel(config: config, classes: labels, parameters: parameters)
    }
    public static func tokenCount(of batch: ClassifierBatch) -> Int { batch.lengths.reduce(0) { $0 + Int($1) } }
}
