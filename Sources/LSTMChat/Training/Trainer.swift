import Foundation

/// The solver's settings: what `lstmchat train` takes as flags and records in a checkpoint.
public struct TrainingSettings: Codable, Equatable, Sendable {
    public var epochs = 40
    public var learningRate: Float = 0.005
    /// Multiplied into the learning rate once per epoch: lr(e) = learningRate · max(lrDecay^e, lrFloor).
    public var lrDecay: Float = 0.97
    /// Where the decay stops, as a share of `learningRate` (0: it never stops).
    public var lrFloor: Float = 0
    /// Maximum global gradient norm; 0 turns clipping off.
    public var clip: Float = 5
    public var dropout: Float = 0.1
    public var batchSize = 32
    public var seed: UInt64 = 1

    public init() {}

    public func learningRate(epoch: Int) -> Float { learningRate * max(pow(lrDecay, Float(epoch)), lrFloor) }

    private enum CodingKeys: String, CodingKey { case epochs, learningRate, lrDecay, lrFloor, clip, dropout, batchSize, seed }

    /// A run saved before the floor existed has none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        lrDecay = try c.decode(Float.self, forKey: .lrDecay)
        lrFloor = try c.decodeIfPresent(Float.self, forKey: .lrFloor) ?? 0
        clip = try c.decode(Float.self, forKey: .clip)
        dropout = try c.decode(Float.self, forKey: .dropout)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        seed = try c.decode(UInt64.self, forKey: .seed)
    }
}

/// Where a run is: everything besides weights and Adam moments that resuming needs.
public struct TrainingProgress: Codable, Equatable, Sendable {
    public var epoch = 0          // the epoch under way (0-based)
    public var stepInEpoch = 0    // batches of this epoch already done
    public var step = 0           // optimisation steps done in all
    public var dropoutRNG: [UInt64]
    public var bestValidationLoss: Float?
    public var elapsedSeconds: Double = 0

    public init(seed: UInt64) { dropoutRNG = Xoshiro256(seed: seed ^ 0x5EED_D80F).stateWords }
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case diverged(step: Int, loss: Float, gradientNorm: Float)

    public var description: String {
        switch self {
        case let .diverged(step, loss, norm):
            return "training diverged at step \(step) (loss \(loss), gradient norm \(norm)); the last good checkpoint is kept — try a smaller --lr or --clip"
        }
    }
}

/// One optimisation step's figures.
public struct StepResult: Sendable {
    public var loss: Float
    public var gradientNorm: Float
    public var learningRate: Float
    public var tokens: Int
}

/// A model the trainer can train: its parameters, and the loss and gradients of a batch.
public protocol TrainableModel: AnyObject {
    associatedtype Batch
    /// The parameters of a model of this shape (`labels`: a classifier's classes), under PyTorch's names.
    static func layout(config: ModelConfig, labels: Int) -> ParameterLayout
    /// A model of this shape with `parameters` (a checkpoint's), or newly laid out ones.
    static func make(config: ModelConfig, labels: Int, parameters: Parameters?) -> Self
    var config: ModelConfig { get }
    var parameters: Parameters { get }
    /// Forward and backward: sets `parameters.gradients` and returns the loss. `dropout > 0`
    /// is training mode.
    func lossAndGradients(_ batch: Batch, dropout: Float, rng: inout Xoshiro256) -> Float
    /// The tokens a batch trains on (for the speed shown and logged).
    static func tokenCount(of batch: Batch) -> Int
    /// What the model carries from one batch to the next (a language model's LSTM state from
    /// one window to the next), saved in the training state so that a resumed run goes on
    /// exactly where it stopped. Most models carry nothing.
    func carriedState() -> [SafetensorsFile.Tensor]
    /// Takes back what `carriedState` gave (nothing: carry nothing); false when it does not fit the model.
    func restoreCarriedState(_ tensors: [SafetensorsFile.Tensor]) -> Bool
}

extension TrainableModel {
    public func carriedState() -> [SafetensorsFile.Tensor] { [] }
    public func restoreCarriedState(_ tensors: [SafetensorsFile.Tensor]) -> Bool { tensors.isEmpty }
}

/// Trains a model with Adam, per-epoch learning-rate decay, clipping by global
/// gradient norm and dropout; deterministic for a given seed, data and settings.
public final class Trainer<Model: TrainableModel> {
    public let model: Model
    public let settings: TrainingSettings
    public let adam: Adam
    public var progress: TrainingProgress
    /// Chooses each step's thread count by timing (`Math/ThreadPolicy.swift`); nil keeps the count
    /// set. Either way the numbers are the same: no product's sums depend on the thread count.
    public var threadTuner: ThreadTuner?

    public init(model: Model, settings: TrainingSettings, progress: TrainingProgress? = nil) {
        self.model = model
        self.settings = settings
        self.progress = progress ?? TrainingProgress(seed: settings.seed)
        adam = Adam(parameterCount: model.parameters.values.count, learningRate: settings.learningRate)
    }

    /// Forward, backward, clip and one Adam update. A non-finite loss or gradient stops with
    /// `TrainingError.diverged` before any weight changes.
    public func step(_ batch: Model.Batch) throws -> StepResult {
        guard let threadTuner else { return try runStep(batch) }
        return try threadTuner.measure(work: Model.tokenCount(of: batch)) { try runStep(batch) }
    }

    private func runStep(_ batch: Model.Batch) throws -> StepResult {
        var rng = Xoshiro256(state: progress.dropoutRNG)
        let loss = model.lossAndGradients(batch, dropout: settings.dropout, rng: &rng)
        let norm = StepProfile.measure(.clipping) { model.parameters.clipGradients(maxNorm: settings.clip) }
        guard loss.isFinite, norm.isFinite else {
            throw TrainingError.diverged(step: progress.step + 1, loss: loss, gradientNorm: norm)
        }
        let lr = settings.learningRate(epoch: progress.epoch)
        adam.learningRate = lr
        StepProfile.measure(.adam) { adam.update(model.parameters) }
        progress.dropoutRNG = rng.stateWords
        progress.step += 1
        progress.stepInEpoch += 1
        return StepResult(loss: loss, gradientNorm: norm, learningRate: lr, tokens: Model.tokenCount(of: batch))
    }

    /// Marks the end of an epoch: the next step starts the next epoch, with a decayed rate.
    public func finishEpoch() {
        progress.epoch += 1
        progress.stepInEpoch = 0
    }
}
