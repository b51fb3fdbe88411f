import Foundation

/// The figures of the held-out data after an epoch.
public struct Validation: Sendable {
    public var loss: Float
    public var accuracy: Float
    public var perplexity: Float { exp(loss) }
    public init(loss: Float, accuracy: Float) { self.loss = loss; self.accuracy = accuracy }
}

/// A whole training run: epochs of batches, validation after each epoch, a loss-log row per
/// step and a checkpoint after each epoch (and when interrupted).
///
/// Everything that decides the numbers is a function of the saved state: the batches of epoch
/// e come from (seed, e), and the dropout generator, Adam's moments and the position in the
/// epoch are checkpointed; so a run stopped anywhere and resumed gives the same numbers as one
/// that never stopped.
public final class TrainingRun<Model: TrainableModel> {
    public let trainer: Trainer<Model>
    private let batches: (_ epoch: Int) -> EpochBatches<Model.Batch>
    private let validate: () -> Validation?
    private let measure: () -> Float?
    private let log: (LossLogRow) throws -> Void
    private let save: (_ isBest: Bool) throws -> Void

    /// What the user sees after each step.
    public struct StepReport: Sendable {
        public var epoch: Int          // 1-based
        public var stepInEpoch: Int    // 1-based
        public var stepsInEpoch: Int
        public var result: StepResult
        public var tokensPerSecond: Double
        public var remainingSeconds: Double
    }

    public enum Outcome: Equatable, Sendable {
        case finished, interrupted
        /// The training exact match reached the target asked for, after `epoch` epochs.
        case reachedTarget(epoch: Int, exactMatch: Float)
    }

    /// - batches: the batches of an epoch, the same every time it is asked for the same epoch.
    /// - validate: validation loss and greedy accuracy, or nil when there is no validation set.
    /// - measure: the exact match on the training questions (`ExactMatchProbe`), or nil.
    /// - log: appends a row to the loss log.
    /// - save: writes the checkpoint (model and training state; also the best model if asked).
    public init(trainer: Trainer<Model>, batches: @escaping (Int) -> EpochBatches<Model.Batch>, validate: @escaping () -> Validation?,
                measure: @escaping () -> Float? = { nil },
                log: @escaping (LossLogRow) throws -> Void, save: @escaping (Bool) throws -> Void) {
        self.trainer = trainer
        self.batches = batches
        self.validate = validate
        self.measure = measure
        self.log = log
        self.save = save
    }

    /// Trains until the last epoch ends, the training exact match reaches `targetExactMatch`
    /// (measured after each epoch), or `shouldStop` says so (checked between steps); either way
    /// the checkpoint is saved before returning. A diverged step throws, leaving the last
    /// checkpoint as it was. Measuring draws no random numbers, so it changes no later step.
    public func run(targetExactMatch: Float? = nil, shouldStop: () -> Bool, onStep: (StepReport) -> Void,
                    onEpoch: (Int, Validation?, Float?) -> Void) throws -> Outcome {
        let settings = trainer.settings
        var start = Date()
        var elapsedBefore = trainer.progress.elapsedSeconds
        func elapsed() -> Double { elapsedBefore + Date().timeIntervalSince(start) }
        // Time left from the mean step time of this session: steady, unlike the last step's.
        let sessionStart = Date()
        var sessionSteps = 0

        while trainer.progress.epoch < settings.epochs {
            let epochBatches = batches(trainer.progress.epoch)
            var lastRow: LossLogRow?  // the epoch's last row waits for its validation figures
            while trainer.progress.stepInEpoch < epochBatches.count {
                if shouldStop() {
                    trainer.progress.elapsedSeconds = elapsed()
                    try save(false)
                    return .interrupted
                }
                let t0 = Date()
                let result = try trainer.step(epochBatches[trainer.progress.stepInEpoch])
                let seconds = max(Date().timeIntervalSince(t0), 1e-9)
                let done = trainer.progress.stepInEpoch
                sessionSteps += 1
                let perStep = Date().timeIntervalSince(sessionStart) / Double(sessionSteps)
                let stepsLeft = epochBatches.count - done + (settings.epochs - trainer.progress.epoch - 1) * epochBatches.count
                let tokensPerSecond = Double(result.tokens) / seconds
                onStep(StepReport(epoch: trainer.progress.epoch + 1, stepInEpoch: done, stepsInEpoch: epochBatches.count,
                                  result: result, tokensPerSecond: tokensPerSecond, remainingSeconds: perStep * Double(stepsLeft)))
                let row = LossLogRow(step: trainer.progress.step, epoch: trainer.progress.epoch + 1, loss: result.loss,
                                     learningRate: result.learningRate, gradientNorm: result.gradientNorm,
                                     tokensPerSecond: Float(tokensPerSecond), elapsedSeconds: elapsed())
                if done < epochBatches.count { try log(row) } else { lastRow = row }
            }

            let validation = validate()
            let exactMatch = measure()
            if var row = lastRow {
                row.validationLoss = validation?.loss
                row.validationAccuracy = validation?.accuracy
                row.exactMatch = exactMatch
                row.elapsedSeconds = elapsed()
                try log(row)
            }
            trainer.finishEpoch()
            var isBest = false
            if let validation, validation.loss < (trainer.progress.bestValidationLoss ?? .infinity) {
                trainer.progress.bestValidationLoss = validation.loss
                isBest = true
            }
            trainer.progress.elapsedSeconds = elapsed()
            try save(isBest)
            start = Date()
            elapsedBefore = trainer.progress.elapsedSeconds
            onEpoch(trainer.progress.epoch, validation, exactMatch)
            if let targetExactMatch, let exactMatch, exactMatch >= targetExactMatch {
                return .reachedTarget(epoch: trainer.progress.epoch, exactMatch: exactMatch)
            }
        }
        return .finished
    }
}
