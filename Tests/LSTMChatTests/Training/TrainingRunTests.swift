import Testing
@testable import LSTMChat

@Suite struct TrainingRunTests {
    static let config = ModelConfig(vocabSize: 12, embedSize: 6, hiddenSize: 8, layers: 2)
    static let pairs: [(question: [Int32], answer: [Int32])] = [
        ([4, 5], [6, 7]), ([5, 6, 7], [8]), ([8], [9, 10, 11]), ([9, 10], [4]), ([11, 4, 5], [5, 6]), ([6], [7, 8, 9]),
    ]
    static func batches(epoch: Int) -> [Seq2SeqBatch] {
        // A different order each epoch, a function of the epoch only.
        let order = (0..<pairs.count).map { ($0 * (epoch + 1) * 5 + epoch) % pairs.count }
        return stride(from: 0, to: order.count, by: 2).map { s in
            let rows = order[s..<min(s + 2, order.count)].map { pairs[$0] }
            return Seq2SeqBatch(questions: rows.map(\.question), answers: rows.map(\.answer), bos: 2, eos: 3)
        }
    }

    static func settings(epochs: Int) -> TrainingSettings {
        var s = TrainingSettings()
        s.epochs = epochs; s.learningRate = 0.02; s.lrDecay = 0.9; s.dropout = 0.2; s.clip = 1
        return s
    }

    static func newTrainer(epochs: Int) -> Trainer<Seq2SeqModel> {
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 9, hiddenSize: config.hiddenSize)
        return Trainer(model: model, settings: settings(epochs: epochs))
    }

    /// Runs `trainer` until it finishes or `stopAfter` steps; returns the logged rows.
    /// The exact match is measured after every epoch, as `train` does.
    static func run(_ trainer: Trainer<Seq2SeqModel>, stopAfter: Int = .max, target: Float? = nil) throws -> (TrainingRun<Seq2SeqModel>.Outcome, [LossLogRow], saves: Int) {
        var rows: [LossLogRow] = [], saves = 0, steps = 0
        let probe = ExactMatchProbe(pairs: pairs)
        let run = TrainingRun(trainer: trainer, batches: { EpochBatches(batches(epoch: $0)) }, validate: { Validation(loss: 1, accuracy: 0) },
                              measure: { probe.measure(trainer.model).exactMatch },
                              log: { rows.append($0) }, save: { _ in saves += 1 })
        let outcome = try run.run(targetExactMatch: target, shouldStop: { steps >= stopAfter }, onStep: { _ in steps += 1 },
                                  onEpoch: { _, _, _ in })
        return (outcome, rows, saves)
    }

    /// A copy of a trainer's whole state, as a checkpoint would carry it.
    static func restored(from t: Trainer<Seq2SeqModel>, epochs: Int) -> Trainer<Seq2SeqModel> {
        let model = Seq2SeqModel(config: config)
        model.parameters.values.pointer.update(from: t.model.parameters.values.pointer, count: t.model.parameters.values.count)
        let copy = Trainer(model: model, settings: settings(epochs: epochs), progress: t.progress)
        copy.adam.restore(step: t.adam.step)
        copy.adam.firstMoment.pointer.update(from: t.adam.firstMoment.pointer, count: t.adam.firstMoment.count)
        copy.adam.secondMoment.pointer.update(from: t.adam.secondMoment.pointer, count: t.adam.secondMoment.count)
        return copy
    }

    @Test(arguments: [2, 4, 7])  // stop at an epoch's end (2 epochs = 6 steps would be 6) or inside one
    func stoppingAndResumingGivesTheSameNumbers(stopAfter: Int) throws {
        let straight = Self.newTrainer(epochs: 4)
        let (outcome, expected, _) = try Self.run(straight)
        #expect(outcome == .finished)
        #expect(expected.count == 12)

        let first = Self.newTrainer(epochs: 4)
        let (stopped, head, saves) = try Self.run(first, stopAfter: stopAfter)
        #expect(stopped == .interrupted)
        #expect(saves >= 1)
        let second = Self.restored(from: first, epochs: 4)
        let (finished, tail, _) = try Self.run(second)
        #expect(finished == .finished)

        let strip = { (rows: [LossLogRow]) in rows.map { [Float($0.step!), Float($0.epoch!), $0.loss, $0.learningRate!, $0.gradientNorm!] } }
        #expect(strip(head + tail) == strip(expected))
        #expect(second.model.parameters.values.array == straight.model.parameters.values.array)
    }

    @Test func everyEpochEndCarriesValidationAndTheRateDecays() throws {
        let (_, rows, saves) = try Self.run(Self.newTrainer(epochs: 3))
        #expect(saves == 3)
        #expect(rows.map { $0.validationLoss != nil } == [false, false, true, false, false, true, false, false, true])
        #expect(abs(rows[3].learningRate! - 0.02 * 0.9) < 1e-7)
    }

    @Test func everyEpochEndCarriesTheTrainingExactMatch() throws {
        let (_, rows, _) = try Self.run(Self.newTrainer(epochs: 3))
        #expect(rows.map { $0.exactMatch != nil } == [false, false, true, false, false, true, false, false, true])
        #expect(rows.compactMap(\.exactMatch).allSatisfy { (0...1).contains($0) })
    }

    /// A target already met stops after the first epoch, saved; one never met runs every epoch.
    @Test func aReachedTargetStopsTheRunAndSaves() throws {
        let (outcome, rows, saves) = try Self.run(Self.newTrainer(epochs: 3), target: 0)
        #expect(outcome == .reachedTarget(epoch: 1, exactMatch: rows.last!.exactMatch!))
        #expect(rows.count == 3 && saves == 1)
        let (unreached, all, _) = try Self.run(Self.newTrainer(epochs: 3), target: 1.5)
        #expect(unreached == .finished && all.count == 9)
    }

    @Test func aNaNLossStopsBeforeChangingAnyWeight() throws {
        let trainer = Self.newTrainer(epochs: 1)
        trainer.model.parameters.value("proj.bias")[0] = .nan
        let before = trainer.model.parameters.values.array
        #expect(throws: TrainingError.self) { try Self.run(trainer) }
        let after = trainer.model.parameters.values.array
        #expect(zip(before, after).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }
}
