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

extension LSTMLayerTests {
    /// Everything one forward and backward of a layer gives.
    struct Run {
        var output, finalHidden, finalCell, dInput, dh0, dc0, gradients: [Float]
    }

    /// A fresh layer (input 7, hidden 20: gates in three 16-column panels, the last partly
    /// filled) run forward from random states and backward from random gradients, the output
    /// gradients of padding positions included.
    static func run(lengths: [Int32], steps T: Int, skipping: Bool) -> Run {
        let I = 7, H = 20, B = lengths.count
        var layout = ParameterLayout()
        layout.appendLSTM("lstm", inputSize: I, hiddenSize: H, layers: 1)
        let parameters = Parameters(layout: layout)
        parameters.initialize(seed: 3, hiddenSize: H)
        let layer = LSTMLayer(inputSize: I, hiddenSize: H, parameters: parameters, prefix: "lstm", layer: 0)
        layer.skipsRowsPastTheirLength = skipping
        var rng = Xoshiro256(seed: 9)
        func random(_ count: Int) -> FloatBuffer { FloatBuffer((0..<count).map { _ in 2 * rng.nextFloat() - 1 }) }
        func read(_ p: UnsafePointer<Float>, _ count: Int) -> [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }

        // A first run with every row at full length fills the workspaces: whatever the run
        // below fails to write then differs from the full computation's.
        let warmInput = random(T * B * I), warmOutput = random(T * B * H), full = [Int32](repeating: Int32(T), count: B)
        full.withUnsafeBufferPointer { full in
            layer.forward(warmInput.pointer, steps: T, batch: B, h0: nil, c0: nil, lengths: full.baseAddress!)
            layer.backward(dOutput: warmOutput.pointer, dhFinal: nil, dcFinal: nil)
        }
        parameters.zeroGradients()

        let x = random(T * B * I), h0 = random(B * H), c0 = random(B * H)
        let dOutput = random(T * B * H), dhFinal = random(B * H), dcFinal = random(B * H)
        return lengths.withUnsafeBufferPointer { lengths in
            layer.forward(x.pointer, steps: T, batch: B, h0: h0.pointer, c0: c0.pointer, lengths: lengths.baseAddress!)
            let output = read(layer.output, T * B * H)
            let finalHidden = read(layer.finalHidden, B * H), finalCell = read(layer.finalCell, B * H)
            let dInput = layer.backward(dOutput: dOutput.pointer, dhFinal: dhFinal.pointer, dcFinal: dcFinal.pointer)
            return Run(output: output, finalHidden: finalHidden, finalCell: finalCell, dInput: read(dInput, T * B * I),
                       dh0: read(layer.dh0, B * H), dc0: read(layer.dc0, B * H), gradients: parameters.gradients.array)
        }
    }

    /// Rows past their length skip the recurrent product and the gate kernels (`rowsRunning`):
    /// the results are those of running every row through every step. Bit for bit through the
    /// packed kernel (several steps of several rows), where each row of the product and of the
    /// gate kernels is summed alone in the same order however many rows run; within a few ulps
    /// through BLAS (one step or one row), whose sgemm picks other kernels for fewer rows (and
    /// sgemv for one). Lengths sorted (the batchers' order) and not, with rows of full length
    /// and of length 0; 7 and 8 rows fill the packed kernel's blocks of 6 and a rest.
    @Test(arguments: [
        ([5, 5, 4, 2, 2, 1, 0], 5), ([2, 5, 0, 3, 5, 1, 4, 5], 5), ([6, 6, 6, 6, 6, 6, 6, 3], 6), ([3, 3, 3], 3),
        ([0, 0], 2), ([1, 1, 0, 0], 1), ([1, 0, 1, 0], 1), ([4], 6), ([0], 3),
    ] as [([Int32], Int)])
    func skippingRowsPastTheirLengthChangesNoResult(lengths: [Int32], steps: Int) {
        let skipping = Self.run(lengths: lengths, steps: steps, skipping: true)
        let full = Self.run(lengths: lengths, steps: steps, skipping: false)
        let packed = steps >= 2 && lengths.count >= 2
        func same(_ a: [Float], _ b: [Float]) -> Bool {
            packed ? a == b : a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }
        }
        #expect(same(skipping.output, full.output))
        #expect(same(skipping.finalHidden, full.finalHidden))
        #expect(same(skipping.finalCell, full.finalCell))
        #expect(same(skipping.dInput, full.dInput))
        #expect(same(skipping.dh0, full.dh0))
        #expect(same(skipping.dc0, full.dc0))
        #expect(same(skipping.gradients, full.gradients))
        #expect(skipping.gradients.contains { $0 != 0 } || lengths.allSatisfy { $0 == 0 })
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
