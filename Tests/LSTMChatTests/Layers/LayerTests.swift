import Testing
@testable import LSTMChat

@Suite struct EmbeddingTests {
    @Test func aRepeatedWordCollectsEveryGradient() {
        let p = Parameters(layout: { var l = ParameterLayout(); l.append("embedding.weight", [4, 2]); return l }())
        let t = p.tensor("embedding.weight")
        let embedding = Embedding(vocabSize: 4, dim: 2, weight: t.value, gradient: t.gradient)
        let ids: [Int32] = [3, 1, 3]
        let dOut: [Float] = [1, 2, 10, 20, 100, 200]
        ids.withUnsafeBufferPointer { embedding.backward(ids: $0.baseAddress!, count: 3, dOut: dOut) }
        #expect(p.gradients.array == [0, 0, 10, 20, 0, 0, 101, 202])
    }
}

@Suite struct SoftmaxCrossEntropyTests {
    func run(_ logits: [Float], targets: [Int32], mask: [Float], classes: Int) -> (Float, [Float]) {
        var d = [Float](repeating: .nan, count: logits.count)
        let loss = d.withUnsafeMutableBufferPointer { dp in
            SoftmaxCrossEntropy.forward(logits: logits, targets: targets, mask: mask,
                                        rows: targets.count, classes: classes, dLogits: dp.baseAddress!)
        }
        return (loss, d)
    }

    @Test func hugeLogitsDoNotOverflow() {
        let (loss, d) = run([1e4, 0, -1e4], targets: [1], mask: [1], classes: 3)
        #expect(abs(loss - 1e4) < 1)
        #expect(d.allSatisfy { $0.isFinite })
    }

    @Test func uncountedRowsGetNoGradientAndDoNotCount() {
        let (loss, d) = run([0, 0, 5, 7], targets: [0, 1], mask: [1, 0], classes: 2)
        #expect(abs(loss - 0.6931472) < 1e-6)  // log 2: only the first row counts
        #expect(d[2] == 0 && d[3] == 0)
        #expect(abs(d[0] + 0.5) < 1e-6 && abs(d[1] - 0.5) < 1e-6)
    }

    @Test func noCountedRowsGiveZeroLoss() {
        let (loss, d) = run([1, 2], targets: [0], mask: [0], classes: 2)
        #expect(loss == 0 && d == [0, 0])
    }
}

@Suite struct LSTMLayerTests {
    /// A row's final state and outputs must not depend on the other rows of its batch or on
    /// how much padding follows it.
    @Test(arguments: [1, 2])
    func paddingNeverChangesTheState(layers: Int) {
        let config = ModelConfig(vocabSize: 12, embedSize: 4, hiddenSize: 5, layers: layers)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: 5, hiddenSize: config.hiddenSize)
        let questions: [[Int32]] = [[4], [5, 6, 7, 8, 9], [10, 11, 4]]
        let answers: [[Int32]] = [[5, 6], [7], [8, 9, 10]]
        var rng = Xoshiro256(seed: 0)
        let batch = Seq2SeqBatch(questions: questions, answers: answers, bos: 2, eos: 3)
        model.forward(batch, rng: &rng)
        let L = layers, B = questions.count, H = config.hiddenSize
        let together = Array(UnsafeBufferPointer(start: model.encoderFinalState.h, count: L * B * H))
        for b in 0..<B {
            model.forward(Seq2SeqBatch(questions: [questions[b]], answers: [answers[b]], bos: 2, eos: 3), rng: &rng)
            let alone = Array(UnsafeBufferPointer(start: model.encoderFinalState.h, count: L * H))
            for l in 0..<L {
                for j in 0..<H { #expect(abs(together[(l * B + b) * H + j] - alone[l * H + j]) < 1e-6) }
            }
        }
    }
}

@Suite struct ClippingTests {
    @Test func clippingScalesToTheMaximumNorm() {
        let p = Parameters(layout: { var l = ParameterLayout(); l.append("w", [2]); return l }())
        p.gradients[0] = 3; p.gradients[1] = 4
        let before = p.clipGradients(maxNorm: 1)
        #expect(before == 5)
        #expect(abs(p.gradientNorm - 1) < 1e-5)
        #expect(p.clipGradients(maxNorm: 10) < 10)  // under the limit: unchanged
        #expect(abs(p.gradients[0] / p.gradients[1] - 0.75) < 1e-6)
    }
}
