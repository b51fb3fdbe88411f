import Foundation
import Testing
@testable import LSTMChat

/// A classifier fixture (see Fixtures/README.md): its own fields beside the common ones.
struct ClassifierFixture: Decodable {
    struct Config: Decodable { let vocab, embed, hidden, layers, batch, steps, classes: Int }

    let config: Config
    let params: [String: Fixture.Tensor]
    let source: [[Int]]
    let source_lengths: [Int]
    let labels: [Int]
    let final_h: Fixture.Tensor
    let final_c: Fixture.Tensor
    let logits: Fixture.Tensor
    let loss: Double
    let grads: [String: Fixture.Tensor]
    let grad_global_norm: Double
    let adam: Fixture.AdamStep

    var modelConfig: ModelConfig {
        ModelConfig(vocabSize: config.vocab, embedSize: config.embed, hiddenSize: config.hidden, layers: config.layers)
    }

    var batch: ClassifierBatch {
        ClassifierBatch(texts: zip(source, source_lengths).map { row, n in row.prefix(n).map(Int32.init) },
                        labels: labels.map(Int32.init))
    }

    static func load(_ url: URL) throws -> ClassifierFixture {
        try JSONDecoder().decode(ClassifierFixture.self, from: Data(contentsOf: url))
    }
}

@Suite struct ClassifierFixtureTests {
    @Test("classifier matches PyTorch", arguments: Fixture.named("classifier"))
    func matchesPyTorch(_ url: URL) throws {
        let f = try ClassifierFixture.load(url)
        let config = f.modelConfig, C = f.config.classes
        let parameters = Parameters(layout: ClassifierModel.layout(config: config, classes: C))
        for e in parameters.layout.entries {
            let t = try #require(f.params[e.name], "no parameter \(e.name)")
            #expect(t.shape == e.shape, "\(e.name): shape \(t.shape) vs \(e.shape)")
            let v = parameters.value(e.name)
            for i in 0..<e.count { v[i] = Float(t.data[i]) }
        }
        let model = ClassifierModel(config: config, classes: C, parameters: parameters)
        let batch = f.batch

        var rng = Xoshiro256(seed: 1)
        let loss = model.lossAndGradients(batch, rng: &rng)
        #expect(mismatches([loss], [f.loss]).isEmpty, "loss \(loss) vs \(f.loss)")

        let logits = Array(model.forward(batch, rng: &rng))
        #expect(mismatches(logits, f.logits.data).isEmpty, "logits: \(mismatches(logits, f.logits.data))")
        // Every layer's state after each row's last real token, [L, B, H] as PyTorch's h_n, c_n.
        let H = config.hiddenSize, B = batch.batchSize
        var h: [Float] = [], c: [Float] = []
        for layer in model.lstm.layers {
            h += Array(UnsafeBufferPointer(start: layer.finalHidden, count: B * H))
            c += Array(UnsafeBufferPointer(start: layer.finalCell, count: B * H))
        }
        #expect(mismatches(h, f.final_h.data).isEmpty, "final h: \(mismatches(h, f.final_h.data))")
        #expect(mismatches(c, f.final_c.data).isEmpty, "final c: \(mismatches(c, f.final_c.data))")

        // Gradients (after the forward above they are still those of lossAndGradients).
        _ = model.lossAndGradients(batch, rng: &rng)
        for e in parameters.layout.entries {
            let ours = Array(parameters.gradient(e.name))
            let ref = try #require(f.grads[e.name], "no gradient for \(e.name)").data
            #expect(mismatches(ours, ref).isEmpty, "gradient of \(e.name): \(mismatches(ours, ref))")
        }
        #expect(mismatches([parameters.gradientNorm], [f.grad_global_norm]).isEmpty)

        let adam = Adam(parameterCount: parameters.values.count, learningRate: Float(f.adam.lr),
                        beta1: Float(f.adam.beta1), beta2: Float(f.adam.beta2), epsilon: Float(f.adam.eps))
        for _ in 0..<f.adam.step { adam.update(parameters) }
        for e in parameters.layout.entries {
            let ours = Array(parameters.value(e.name))
            let ref = try #require(f.adam.params_after[e.name], "no Adam result for \(e.name)").data
            #expect(mismatches(ours, ref).isEmpty, "\(e.name) after Adam: \(mismatches(ours, ref))")
        }
    }

    @Test func theBundledFixturesAreFound() {
        #expect(Fixture.named("classifier").count >= 2)
    }
}

/// Analytic gradients against central finite differences, with padding and dropout.
@Suite struct ClassifierFiniteDifferenceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let layers: Int
        let dropout: Float
        let texts: [[Int32]]
        let labels: [Int32]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "one text of one token", layers: 1, dropout: 0, texts: [[5]], labels: [2]),
        Case(name: "rows padded differently, 1 layer", layers: 1, dropout: 0,
             texts: [[4], [5, 6, 7], [8, 4, 5, 6, 7], [9, 9]], labels: [0, 1, 2, 1]),
        Case(name: "rows padded differently, 2 layers", layers: 2, dropout: 0,
             texts: [[4, 5], [6], [7, 8, 9]], labels: [2, 0, 0]),
        Case(name: "2 layers with dropout", layers: 2, dropout: 0.3, texts: [[4, 5, 6], [7]], labels: [1, 2]),
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) {
        let config = ModelConfig(vocabSize: 10, embedSize: 3, hiddenSize: 4, layers: c.layers)
        let model = ClassifierModel(config: config, classes: 3)
        model.parameters.initialize(seed: 3, hiddenSize: config.hiddenSize)
        let batch = ClassifierBatch(texts: c.texts, labels: c.labels)
        func loss() -> Float {
            var rng = Xoshiro256(seed: 11)  // the same dropout masks every time
            return model.lossAndGradients(batch, dropout: c.dropout, rng: &rng)
        }
        _ = loss()
        let analytic = model.parameters.gradients.array
        let values = model.parameters.values
        var worst: Float = 0
        let eps: Float = 1e-2
        for i in 0..<values.count {
            let saved = values[i]
            values[i] = saved + eps; let up = loss()
            values[i] = saved - eps; let down = loss()
            values[i] = saved
            let numeric = (up - down) / (2 * eps)
            worst = max(worst, abs(numeric - analytic[i]) / max(1e-2, abs(numeric) + abs(analytic[i])))
        }
        #expect(worst < 2e-2, "worst relative error \(worst)")
        // The embedding rows of tokens no text uses get no gradient.
        let unused = model.parameters.gradient("embedding.weight")[0..<3]
        #expect(unused.allSatisfy { $0 == 0 })
    }
}
