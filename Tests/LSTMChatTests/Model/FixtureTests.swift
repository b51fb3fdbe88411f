import Foundation
import Testing
@testable import LSTMChat

/// The model, number by number, against PyTorch's float64 references.
@Suite struct Seq2SeqFixtureTests {
    @Test("seq2seq matches PyTorch, with and without attention, with a full or an adaptive softmax",
          arguments: Fixture.named("seq2seq") + Fixture.named("seq2seq_attention"))
    func matchesPyTorch(_ url: URL) throws {
        let f = try Fixture.load(url)
        let config = f.modelConfig
        let model = Seq2SeqModel(config: config, parameters: try f.parameters(config.seq2seqLayout))
        let batch = Seq2SeqBatch(
            sources: f.source!.map { $0.map(Int32.init) }, sourceLengths: f.source_lengths!,
            decoderInputs: f.decoder_inputs!.map { $0.map(Int32.init) }, targets: f.targets.map { $0.map(Int32.init) },
            mask: f.loss_mask.map { $0.map(Float.init) })
        let B = batch.batchSize, T = batch.targetSteps, V = config.vocabSize, H = config.hiddenSize, L = config.layers

        var rng = Xoshiro256(seed: 1)
        let loss = model.lossAndGradients(batch, rng: &rng)
        #expect(mismatches([loss], [f.loss]).isEmpty, "loss \(loss) vs \(f.loss)")

        // Logits: ours are [T, B, V], PyTorch's [B, T, V]; only real decoder inputs count.
        let logits = model.forward(batch, rng: &rng)
        var ours: [Float] = [], ref: [Double] = []
        for b in 0..<B { for t in 0..<T where f.decoder_inputs![b][t] != 0 {
            for v in 0..<V { ours.append(logits[(t * B + b) * V + v]); ref.append(f.logits.data[(b * T + t) * V + v]) }
        } }
        #expect(mismatches(ours, ref).isEmpty, "logits: \(mismatches(ours, ref))")

        let (h, c) = model.encoderFinalState
        let finalH = Array(UnsafeBufferPointer(start: h, count: L * B * H))
        let finalC = Array(UnsafeBufferPointer(start: c, count: L * B * H))
        #expect(mismatches(finalH, f.encoder_final_h!.data).isEmpty, "encoder h: \(mismatches(finalH, f.encoder_final_h!.data))")
        #expect(mismatches(finalC, f.encoder_final_c!.data).isEmpty, "encoder c: \(mismatches(finalC, f.encoder_final_c!.data))")

        try expectGradientsAndAdamStep(model.parameters, fixture: f)
    }
}

@Suite struct LanguageModelFixtureTests {
    @Test("language model matches PyTorch", arguments: Fixture.named("lm"))
    func matchesPyTorch(_ url: URL) throws {
        let f = try Fixture.load(url)
        let config = f.modelConfig
        let model = LanguageModel(config: config, parameters: try f.parameters(config.languageModelLayout))
        let inputs = f.inputs!, B = inputs.count, T = inputs[0].count, V = config.vocabSize
        // Batch-major [B][T] → time-major [T, B].
        func timeMajor<X>(_ rows: [[X]]) -> [X] { (0..<T).flatMap { t in (0..<B).map { rows[$0][t] } } }
        let (loss, logits) = model.lossAndGradients(
            inputs: timeMajor(inputs).map(Int32.init), targets: timeMajor(f.targets).map(Int32.init),
            mask: timeMajor(f.loss_mask).map(Float.init), steps: T, batch: B)
        #expect(mismatches([loss], [f.loss]).isEmpty, "loss \(loss) vs \(f.loss)")

        var ours: [Float] = [], ref: [Double] = []
        for b in 0..<B { for t in 0..<T where inputs[b][t] != 0 {
            for v in 0..<V { ours.append(logits[(t * B + b) * V + v]); ref.append(f.logits.data[(b * T + t) * V + v]) }
        } }
        #expect(mismatches(ours, ref).isEmpty, "logits: \(mismatches(ours, ref))")

        try expectGradientsAndAdamStep(model.parameters, fixture: f)
    }
}

/// Every gradient, the global norm, and every parameter after one step of Adam.
func expectGradientsAndAdamStep(_ parameters: Parameters, fixture f: Fixture) throws {
    for e in parameters.layout.entries {
        let ours = Array(parameters.gradient(e.name))
        let ref = try #require(f.grads[e.name], "no gradient for \(e.name)").data
        #expect(mismatches(ours, ref).isEmpty, "gradient of \(e.name): \(mismatches(ours, ref))")
    }
    let norm = parameters.gradientNorm
    #expect(mismatches([norm], [f.grad_global_norm]).isEmpty, "gradient norm \(norm) vs \(f.grad_global_norm)")

    let adam = Adam(parameterCount: parameters.values.count, learningRate: Float(f.adam.lr),
                    beta1: Float(f.adam.beta1), beta2: Float(f.adam.beta2), epsilon: Float(f.adam.eps))
    for _ in 0..<f.adam.step { adam.update(parameters) }
    for e in parameters.layout.entries {
        let ours = Array(parameters.value(e.name))
        let ref = try #require(f.adam.params_after[e.name], "no Adam result for \(e.name)").data
        #expect(mismatches(ours, ref).isEmpty, "\(e.name) after Adam: \(mismatches(ours, ref))")
    }
}
