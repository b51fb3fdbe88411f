import Testing
@testable import LSTMChat

/// Truncated backpropagation through time: a text read in two windows with the state carried
/// across must be the same model as the text read in one long window.
@Suite struct LanguageModelWindowTests {
    static let config = ModelConfig(vocabSize: 9, embedSize: 3, hiddenSize: 5, layers: 2)
    static let B = 3, T = 8, half = 4

    static func model() -> LanguageModel {
        let model = LanguageModel(config: config)
        model.parameters.initialize(seed: 5, hiddenSize: config.hiddenSize)
        return model
    }

    /// Random ids for [T + 1] tokens of each row; window [from, to) as a batch.
    static let tokens: [[Int32]] = {
        var rng = Xoshiro256(seed: 3)
        return (0..<B).map { _ in (0...T).map { _ in Int32(4 + rng.index(below: 5)) } }
    }()
    static func window(_ range: Range<Int>, continues: Bool, countedFrom: Int = 0) -> TextBatch {
        let steps = range.count
        var inputs: [Int32] = [], targets: [Int32] = [], mask: [Float] = []
        for t in range { for b in 0..<B {
            inputs.append(tokens[b][t]); targets.append(tokens[b][t + 1]); mask.append(t >= countedFrom ? 1 : 0)
        } }
        return TextBatch(inputs: inputs, targets: targets, mask: mask, steps: steps, batchSize: B, continuesPrevious: continues)
    }

    @Test func twoWindowsWithCarriedStateAreOneLongWindow() {
        var rng = Xoshiro256(seed: 1)
        let long = Self.model()
        let longLoss = long.lossAndGradients(Self.window(0..<Self.T, continues: false), rng: &rng)
        let longLogits = Array(long.forward(Self.window(0..<Self.T, continues: false), rng: &rng))

        let cut = Self.model()
        let loss1 = cut.lossAndGradients(Self.window(0..<Self.half, continues: false), rng: &rng)
        let gradients1 = cut.parameters.gradients.array
        let logits1 = Array(cut.forward(Self.window(0..<Self.half, continues: false), rng: &rng))
        let loss2 = cut.lossAndGradients(Self.window(Self.half..<Self.T, continues: true), rng: &rng)
        let logits2 = Array(cut.forward(Self.window(0..<Self.half, continues: false), rng: &rng))  // resets, then:
        let logits2b = Array(cut.forward(Self.window(Self.half..<Self.T, continues: true), rng: &rng))
        _ = logits2

        // Forward: the same logits at every step, and the same mean loss (the halves count alike).
        #expect(mismatches(logits1 + logits2b, longLogits.map(Double.init)).isEmpty)
        #expect(abs((loss1 + loss2) / 2 - longLoss) < 1e-5 * max(1, abs(longLoss)))

        // Backward: the first window's gradients are the long window's with only its first half
        // counted (later steps never change earlier ones).
        let firstHalf = Self.model()
        _ = firstHalf.lossAndGradients(Self.window(0..<Self.T, continues: false, countedFrom: 0).maskingFrom(Self.half, B: Self.B), rng: &rng)
        #expect(mismatches(gradients1, firstHalf.parameters.gradients.array.map(Double.init)).isEmpty)
    }

    @Test func aWindowThatDoesNotContinueStartsFromZero() {
        var rng = Xoshiro256(seed: 1)
        let model = Self.model()
        let fresh = Array(model.forward(Self.window(Self.half..<Self.T, continues: false), rng: &rng))
        _ = model.forward(Self.window(0..<Self.half, continues: false), rng: &rng)
        let restarted = Array(model.forward(Self.window(Self.half..<Self.T, continues: false), rng: &rng))
        #expect(fresh == restarted)
        _ = model.forward(Self.window(0..<Self.half, continues: false), rng: &rng)
        let carried = Array(model.forward(Self.window(Self.half..<Self.T, continues: true), rng: &rng))
        #expect(carried != fresh)
    }

    /// The second window's gradients are those of its own loss with the carried state held
    /// fixed (what truncation means): checked by finite differences.
    @Test func theSecondWindowsGradientsStopAtTheCut() {
        let model = Self.model()
        let first = Self.window(0..<Self.half, continues: false), second = Self.window(Self.half..<Self.T, continues: true)
        let values = model.parameters.values
        let original = values.array
        // The state at the cut, from the original weights; then window 2 under the weights now.
        func secondLoss(changing i: Int? = nil, to value: Float = 0) -> Float {
            var rng = Xoshiro256(seed: 0)
            for k in 0..<values.count { values[k] = original[k] }
            _ = model.forward(first, rng: &rng)
            if let i { values[i] = value }
            return model.lossAndGradients(second, rng: &rng)
        }
        _ = secondLoss()
        let analytic = model.parameters.gradients.array
        var worst: Float = 0
        let eps: Float = 1e-2
        for i in 0..<values.count {
            let numeric = (secondLoss(changing: i, to: original[i] + eps) - secondLoss(changing: i, to: original[i] - eps)) / (2 * eps)
            worst = max(worst, abs(numeric - analytic[i]) / max(1e-2, abs(numeric) + abs(analytic[i])))
        }
        for k in 0..<values.count { values[k] = original[k] }
        #expect(worst < 2e-2, "worst relative error \(worst)")
    }

    @Test func windowsCutTheStreamIntoRowsReadSideBySide() throws {
        let ids: [Int32] = (0..<23).map(Int32.init)
        let windows = try #require(TextWindows(ids: ids, batchSize: 2, steps: 4))
        #expect(windows.rowLength == 11 && windows.batchCount == 3)
        let batches = windows.batches
        // Row 0 reads 0…10 and predicts 1…11; row 1 reads 11…21 and predicts 12…22.
        #expect(batches[0].inputs == [0, 11, 1, 12, 2, 13, 3, 14] && batches[0].targets == [1, 12, 2, 13, 3, 14, 4, 15])
        #expect(batches[2].steps == 3 && batches[2].inputs == [8, 19, 9, 20, 10, 21] && batches[2].targets.last == 22)
        #expect(!batches[0].continuesPrevious && batches[1].continuesPrevious && batches[2].continuesPrevious)
        #expect(TextWindows(ids: [4, 5], batchSize: 2, steps: 4) == nil)
    }
}

extension TextBatch {
    /// The same batch with targets from step `t` on not counted.
    func maskingFrom(_ t: Int, B: Int) -> TextBatch {
        var copy = self
        for k in (t * B)..<copy.mask.count { copy.mask[k] = 0 }
        return copy
    }
}
