import Testing
@testable import LSTMChat

extension ThreadCountTests {
    /// What `train` computes does not depend on its threads, so a `ThreadTuner` may change them
    /// between any two steps: steps on 1 thread, and steps whose thread count changes every time
    /// (1, 2, 3, 4, …), give the same weights bit for bit. Every product and loop is split here
    /// (no minimum work), with batches whose time-major products have several 48-row blocks.
    @Suite struct ThreadCountTrainingTests {
        @Test(arguments: [false, true])
        func changingTheThreadsBetweenStepsChangesNoWeight(attention: Bool) throws {
            let saved = (ThreadPolicy.threads, ThreadPolicy.minimumFlopsToSplit)
            defer { (ThreadPolicy.threads, ThreadPolicy.minimumFlopsToSplit) = saved }
            ThreadPolicy.minimumFlopsToSplit = 0
            let config = ModelConfig(vocabSize: 300, embedSize: 16, hiddenSize: 32, layers: 2, attention: attention)
            var rng = Xoshiro256(seed: 5)
            let batches = (0..<4).map { _ in
                let rows = (0..<24).map { _ in
                    ((0..<(3 + Int(rng.next() % 8))).map { _ in Int32(4 + rng.next() % 296) },
                     (0..<(2 + Int(rng.next() % 9))).map { _ in Int32(4 + rng.next() % 296) })
                }
                return Seq2SeqBatch(questions: rows.map(\.0), answers: rows.map(\.1), bos: 2, eos: 3)
            }
            func weights(threads: (Int) -> Int) throws -> [Float] {
                let model = Seq2SeqModel(config: config)
                model.parameters.initialize(seed: 9, hiddenSize: config.hiddenSize)
                var settings = TrainingSettings()
                settings.dropout = 0.2; settings.clip = 1
                let trainer = Trainer(model: model, settings: settings)
                for (i, batch) in (batches + batches).enumerated() {
                    ThreadPolicy.threads = threads(i)
                    _ = try trainer.step(batch)
                }
                return Array(model.parameters.values.buffer)
            }
            let one = try weights { _ in 1 }
            let same = try weights { 1 + $0 % 4 } == one  // (not inside #expect, which would print both arrays)
            #expect(same)
        }
    }
}
