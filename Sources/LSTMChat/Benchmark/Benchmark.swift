import Foundation

/// A model shape and batch to time, the same as the PyTorch peer's (`bench/peer_torch.py`).
public struct BenchmarkWorkload: Sendable, Equatable {
    public let name: String
    public let config: ModelConfig
    public let questionSteps: Int
    public let answerSteps: Int
    public let batchSize: Int
    /// Answer positions whose target counts: the rows the output layer runs on (training leaves
    /// out the padding after shorter answers). Every position, in the random-token workloads.
    public let countedAnswerPositions: Int
    /// The rows the encoder runs at each question step: those with question tokens left
    /// (`LSTMLayer` skips the rest, a prefix once `Batcher` puts the longest question first).
    /// Every row at every step, in the random-token workloads.
    public let questionRowsPerStep: [Int]
    /// With an adaptive softmax: the counted positions whose target is in each tail cluster (the
    /// rows that cluster's products run on).
    public let clusterRows: [Int]

    public init(name: String, vocab: Int, embed: Int, hidden: Int, layers: Int, questionSteps: Int, answerSteps: Int, batch: Int,
                countedAnswerPositions: Int? = nil, questionRowsPerStep: [Int]? = nil,
                softmax: ModelConfig.Softmax = .full, cutoffs: [Int] = [], clusterRows: [Int]? = nil) {
        self.name = name
        config = ModelConfig(vocabSize: vocab, embedSize: embed, hiddenSize: hidden, layers: layers, softmax: softmax, cutoffs: cutoffs)
        self.clusterRows = clusterRows ?? Array(repeating: 0, count: config.cutoffs.count)
        self.questionSteps = questionSteps
        self.answerSteps = answerSteps
        batchSize = batch
        self.countedAnswerPositions = countedAnswerPositions ?? answerSteps * batch
        self.questionRowsPerStep = questionRowsPerStep ?? Array(repeating: batch, count: questionSteps)
        precondition(self.questionRowsPerStep.count == questionSteps)
    }

    public static let all = [
        BenchmarkWorkload(name: "anchor", vocab: 100, embed: 128, hidden: 128, layers: 1, questionSteps: 15, answerSteps: 15, batch: 20),
        BenchmarkWorkload(name: "medium", vocab: 4000, embed: 256, hidden: 256, layers: 2, questionSteps: 16, answerSteps: 16, batch: 64),
        BenchmarkWorkload(name: "large", vocab: 16000, embed: 512, hidden: 512, layers: 2, questionSteps: 16, answerSteps: 16, batch: 64),
    ]

    public static func named(_ name: String) -> BenchmarkWorkload? { all.first { $0.name == name } }

    /// The shape of one batch of `corpus`: its padded question and answer steps and its rows.
    public func withBatch(_ batch: Seq2SeqBatch) -> BenchmarkWorkload {
        let bounds = zip(config.cutoffs, config.cutoffs.dropFirst() + [config.vocabSize])
        let clusterRows = bounds.map { start, end in
            zip(batch.targets, batch.mask).filter { $1 != 0 && Int($0) >= start && Int($0) < end }.count
        }
        return BenchmarkWorkload(name: name, vocab: config.vocabSize, embed: config.embedSize, hidden: config.hiddenSize,
                                 layers: config.layers, questionSteps: batch.sourceSteps, answerSteps: batch.targetSteps,
                                 batch: batch.batchSize, countedAnswerPositions: batch.targetTokenCount,
                                 questionRowsPerStep: batch.sourceLengths.withUnsafeBufferPointer { lengths in
                                     (0..<batch.sourceSteps).map { LSTMLayer.rowsRunning(at: $0, lengths: lengths) }
                                 },
                                 softmax: config.softmax, cutoffs: config.cutoffs, clusterRows: clusterRows)
    }

    /// Floating-point operations of one training step's matrix products as lstmchat runs them
    /// (the peer's count, where no answer is padded): 2 per multiply-add, forward plus
    /// backward ≈ 3× forward.
    public var flopsPerStep: Double {
        let E = Double(config.embedSize), H = Double(config.hiddenSize), V = Double(config.vocabSize), G = 4 * H
        let positions = Double(batchSize * (questionSteps + answerSteps))
        let running = Double(questionRowsPerStep.reduce(0, +) + batchSize * answerSteps)
        var flops = 0.0
        for l in 0..<config.layers {
            let input = l == 0 ? E : H
            // Input projection, its two gradients and d W_hh over every position; h·W_hhᵀ and
            // d h over the rows that run each step.
            flops += positions * 2 * G * (3 * input + H) + running * 2 * 2 * H * G
        }
        return flops + outputProducts.map(\.flops).reduce(0, +)
    }

    /// Tokens one training step reads: every question and answer position.
    public var tokensPerStep: Int { batchSize * (questionSteps + answerSteps) }

    /// The matrix products of one training step, in the shapes the model runs them
    /// (`LSTMLayer`, `Affine`): together they are `flopsPerStep`.
    public var matrixProducts: [MatrixProduct] {
        let B = batchSize, E = config.embedSize, H = config.hiddenSize, G = 4 * H, V = config.vocabSize
        var products: [MatrixProduct] = []
        for rowsPerStep in [questionRowsPerStep, Array(repeating: B, count: answerSteps)] {
            let T = rowsPerStep.count
            for l in 0..<config.layers {
                let input = l == 0 ? E : H
                products.append(MatrixProduct(transB: true, m: T * B, n: G, k: input))          // input projection
                let packed = LSTMLayer.usesPackedKernel(steps: T, batch: B)
                products += rowsPerStep.map { MatrixProduct(transB: true, m: $0, n: G, k: H, packed: packed) }  // h·W_hhᵀ per step
                products += rowsPerStep.map { MatrixProduct(m: $0, n: H, k: G, beta: 0, packed: packed) }       // dh per step
                products.append(MatrixProduct(transA: true, m: G, n: input, k: T * B))          // dW_ih
                products.append(MatrixProduct(transA: true, m: G, n: H, k: T * B))              // dW_hh
                products.append(MatrixProduct(m: T * B, n: input, k: G, beta: 0))               // d input
            }
        }
        return products + outputProducts
    }

    /// The output layer's products (`Affine`, or `AdaptiveSoftmax`: the head over every counted
    /// position, each tail cluster over the positions whose target is in it).
    var outputProducts: [MatrixProduct] {
        let H = config.hiddenSize, N = countedAnswerPositions
        func linear(rows: Int, inputs: Int, outputs: Int) -> [MatrixProduct] {
            [MatrixProduct(transB: true, m: rows, n: outputs, k: inputs, beta: 0),  // forward
             MatrixProduct(m: rows, n: inputs, k: outputs, beta: 0),                // d input
             MatrixProduct(transA: true, m: outputs, n: inputs, k: rows)]           // d weight
        }
        guard config.softmax == .adaptive else { return linear(rows: N, inputs: H, outputs: config.vocabSize) }
        let cutoffs = config.cutoffs, ends = cutoffs.dropFirst() + [config.vocabSize]
        var products = linear(rows: N, inputs: H, outputs: cutoffs[0] + cutoffs.count)
        for (i, (start, end)) in zip(cutoffs, ends).enumerated() where clusterRows[i] > 0 {
            let P = AdaptiveSoftmax.projectionSize(hidden: H, cluster: i)
            products += linear(rows: clusterRows[i], inputs: H, outputs: P) + linear(rows: clusterRows[i], inputs: P, outputs: end - start)
        }
        return products
    }
}

/// A workload on the batches `train` makes of a data file (epoch 0 of seed 1, batches of 32, at
/// most 60 tokens a side), real sentence lengths and token ids, one layer, no attention (as the
/// PyTorch peers have none):
///
/// - `corpus`: a model of the bundled corpus's size (embed 64, hidden 256) on the bundled corpus;
/// - `vocab50k` and `vocab50k-adaptive`: embed 128, hidden 256 and a vocabulary of 50,000 words
///   of the synthetic Zipf corpus of `bench/make_vocab50k.py`, with the full softmax or an
///   adaptive one (cutoffs 2000, 10000), against `bench/peer_vocab50k.py`.
public struct CorpusWorkload {
    public let workload: BenchmarkWorkload
    public let batches: [Seq2SeqBatch]

    public static let defaultPath = "datasets/chatterbot-english"
    public static let vocab50kPath = ".build/vocab50k/vocab50k.tsv"
    public static let names = ["corpus", "vocab50k", "vocab50k-adaptive"]

    public static func load(_ path: String = defaultPath) throws -> CorpusWorkload {
        try load(path, name: "corpus", embed: 64, maxVocab: 20_000)
    }

    /// `vocab50k` (full softmax) or `vocab50k-adaptive` on the corpus at `path`; only the first
    /// `batchLimit` batches are kept (those the timed steps run).
    public static func vocab50k(_ path: String = vocab50kPath, adaptive: Bool, batchLimit: Int) throws -> CorpusWorkload {
        try load(path, name: adaptive ? "vocab50k-adaptive" : "vocab50k", embed: 128, maxVocab: 50_000,
                 softmax: adaptive ? .adaptive : .full, cutoffs: adaptive ? [2000, 10_000] : [], batchLimit: batchLimit)
    }

    static func load(_ path: String, name: String, embed: Int, maxVocab: Int, softmax: ModelConfig.Softmax = .full,
                     cutoffs: [Int] = [], batchLimit: Int? = nil) throws -> CorpusWorkload {
        let tokenizer = Tokenizer(kind: .word)
        let pairs = try DatasetReader.read(path).map { (tokenizer.tokenize($0.question), tokenizer.tokenize($0.answer)) }
        let vocabulary = Vocabulary(counting: pairs.flatMap { [$0.0, $0.1] }, minCount: 1, maxSize: maxVocab)
        let encoded = pairs.map { (question: vocabulary.encode($0.0), answer: vocabulary.encode($0.1)) }
        let batcher = Batcher(pairs: Batcher.truncate(encoded, maxLength: 60).pairs, batchSize: 32, seed: 1)
        let batches = Array(batcher.batches(epoch: 0).prefix(batchLimit ?? .max))
        let rows = batches.map(\.batchSize).reduce(0, +)
        let workload = BenchmarkWorkload(
            name: name, vocab: vocabulary.count, embed: embed, hidden: 256, layers: 1,
            questionSteps: batches.map { $0.sourceSteps * $0.batchSize }.reduce(0, +) / rows,
            answerSteps: batches.map { $0.targetSteps * $0.batchSize }.reduce(0, +) / rows, batch: 32,
            softmax: softmax, cutoffs: cutoffs)
        return CorpusWorkload(workload: workload, batches: batches)
    }

    /// Real (unpadded) tokens of a batch: question tokens and counted answer positions.
    static func tokens(_ batch: Seq2SeqBatch) -> Int {
        batch.sourceLengths.reduce(0) { $0 + Int($1) } + batch.targetTokenCount
    }

    /// The batches as JSON for the PyTorch peer (`bench/peer_torch.py --batches FILE`): the
    /// model's shapes and each batch's rows, unpadded, as the model reads them.
    public func peerJSON() throws -> Data {
        func rows(_ flat: [Int32], steps: Int, batch: Int, lengths: [Int]) -> [[Int32]] {
            (0..<batch).map { b in (0..<lengths[b]).map { flat[$0 * batch + b] } }
        }
        let c = workload.config
        let object: [String: Any] = [
            "vocab": c.vocabSize, "embed": c.embedSize, "hidden": c.hiddenSize, "layers": c.layers, "clip": 5.0,
            "softmax": c.softmax.rawValue, "cutoffs": c.cutoffs,
            "batches": batches.map { batch -> [String: Any] in
                let B = batch.batchSize
                let answerLengths = (0..<B).map { b in (0..<batch.targetSteps).filter { batch.mask[$0 * B + b] != 0 }.count }
                return [
                    "sources": rows(batch.source, steps: batch.sourceSteps, batch: B, lengths: batch.sourceLengths.map { Int($0) }),
                    "decoder_inputs": rows(batch.decoderInputs, steps: batch.targetSteps, batch: B, lengths: answerLengths),
                    "targets": rows(batch.targets, steps: batch.targetSteps, batch: B, lengths: answerLengths),
                ]
            },
        ]
        return try JSONSerialization.data(withJSONObject: object)
    }
}

/// One single-precision product C[m×n] = op(A)[m×k] · op(B)[k×n].
public struct MatrixProduct: Sendable, Equatable {
    public var transA = false, transB = false
    public var m: Int, n: Int, k: Int
    /// 1: C += op(A)·op(B), as gradients and the gates (on their biases) are summed; 0: C is written.
    public var beta: Float = 1
    /// One of the LSTM's recurrent products, run as `LSTMLayer` runs them: through `PackedMatrix`,
    /// B packed once for the run of steps it starts.
    public var packed = false
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Times training steps and greedy generation on random token ids, as the peer does.
public enum Benchmark {
    public struct Training: Sendable {
        public var medianSeconds: Double
        public var minSeconds: Double
        public var tokensPerSecond: Double
        public var gflops: Double
        /// The mean flops of a timed step's matrix products: with the time of those products
        /// alone, their own GFLOP/s.
        public var flopsPerStep: Double
        public var parameterCount: Int
        /// Mean step time and process CPU time per step (all threads): on a busy machine the CPU
        /// time still says how much work a step is.
        public var meanSeconds: Double
        public var cpuSecondsPerStep: Double
        /// Seconds per step in each phase, when profiled.
        public var profile: [(phase: StepProfile.Phase, seconds: Double)] = []
        /// The threads the last step ran on, and how often a `ThreadTuner` changed its choice
        /// (0 without one).
        public var threadsAtEnd = 0
        public var threadSwitches = 0
    }

    public struct Generation: Sendable {
        public var millisecondsPerAnswer: Double
        public var tokensPerAnswer: Int
        public var millisecondsPerToken: Double { millisecondsPerAnswer / Double(tokensPerAnswer) }
    }

    /// Median and minimum time of `steps` Adam steps (forward, backward, clipping norm, update)
    /// after `warmup` untimed ones, on one fixed batch of random ids 3..<V with every position counted.
    ///
    /// With `corpus`, the steps go through its batches in order instead (from the first, after
    /// the warm-up ones, round again if needed), clipping at 5 as `train` does; tokens are the
    /// real ones. `profile` records where the timed steps' time goes. With `adaptiveThreads`
    /// a `ThreadTuner` chooses each step's thread count by timing.
    public static func training(_ workload: BenchmarkWorkload, corpus: [Seq2SeqBatch]? = nil, steps: Int, warmup: Int,
                                profile: Bool = false, adaptiveThreads: Bool = false, seed: UInt64 = 0) -> Training {
        let config = workload.config, B = workload.batchSize
        var rng = Xoshiro256(seed: seed)
        func randomRows(_ length: Int) -> [[Int32]] {
            (0..<B).map { _ in randomTokens(length, vocabSize: config.vocabSize, rng: &rng) }
        }
        let batches: [Seq2SeqBatch]
        if let corpus {
            batches = corpus
        } else {
            let sources = randomRows(workload.questionSteps)
            let decoderInputs = randomRows(workload.answerSteps), targets = randomRows(workload.answerSteps)
            batches = [Seq2SeqBatch(
                sources: sources, sourceLengths: sources.map(\.count), decoderInputs: decoderInputs, targets: targets,
                mask: targets.map { Array(repeating: 1, count: $0.count) })]
        }

        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: seed, hiddenSize: config.hiddenSize)
        var settings = TrainingSettings()
        settings.learningRate = 1e-3
        settings.dropout = 0
        settings.clip = corpus == nil ? 0 : 5
        let trainer = Trainer(model: model, settings: settings)
        let threads = ThreadPolicy.threads
        defer { ThreadPolicy.threads = threads }  // the tuner may have changed it; the next measurement starts afresh
        if adaptiveThreads { trainer.threadTuner = ThreadTuner() }
        var next = 0
        var tokens = 0, flops = 0.0
        var cpuStart = 0.0
        let times = timed(steps: steps, warmup: warmup, beforeTimed: {
            StepProfile.reset(); StepProfile.isEnabled = profile
            cpuStart = processCPUSeconds
        }) {
            let batch = batches[next % batches.count]
            next += 1
            _ = try? trainer.step(batch)
            if next > warmup {
                tokens += corpus == nil ? workload.tokensPerStep : CorpusWorkload.tokens(batch)
                flops += corpus == nil ? workload.flopsPerStep : workload.withBatch(batch).flopsPerStep
            }
        }
        StepProfile.isEnabled = false
        let cpu = processCPUSeconds - cpuStart
        let median = times.median, total = times.reduce(0, +), count = Double(times.count)
        return Training(
            medianSeconds: median, minSeconds: times.min()!,
            tokensPerSecond: Double(tokens) / total,
            gflops: flops / total / 1e9, flopsPerStep: flops / count,
            parameterCount: model.parameters.values.count,
            meanSeconds: total / count, cpuSecondsPerStep: cpu / count,
            profile: profile ? StepProfile.seconds.map { ($0.phase, $0.seconds / count) } : [],
            threadsAtEnd: ThreadPolicy.threads, threadSwitches: trainer.threadTuner?.switches ?? 0)
    }

    /// User plus system CPU time of this process so far, all threads.
    static var processCPUSeconds: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Median time to encode a 10-token question and pick 20 tokens greedily, one at a time
    /// (batch of one, every step a full decoder step and an argmax over the vocabulary).
    /// With `quantize`, on int8 weights as `--quantize int8` runs them.
    public static func generation(_ workload: BenchmarkWorkload, steps: Int, warmup: Int, quantize: Quantization? = nil,
                                  seed: UInt64 = 0) -> Generation {
        let config = workload.config, answerLength = 20
        var rng = Xoshiro256(seed: seed)
        let question = randomTokens(10, vocabSize: config.vocabSize, rng: &rng)
        let model = Seq2SeqModel(config: config)
        model.parameters.initialize(seed: seed, hiddenSize: config.hiddenSize)
        if quantize == .int8 { model.useInt8(model.parameters.quantizeMatrices()) }
        let session = InferenceSession(model: model)
        let allowed = [Float](repeating: 0, count: config.vocabSize)
        let times = timed(steps: steps, warmup: warmup) {
            session.encode(question, rows: 1)
            var token: [Int32] = [0]
            for _ in 0..<answerLength {  // each step reads the token the last one chose
                let logits = session.step(token)
                token[0] = allowed.withUnsafeBufferPointer {
                    TokenDistribution.argmax(logits.baseAddress!, mask: $0.baseAddress!, count: config.vocabSize)
                }
            }
        }
        let median = times.median
        return Generation(millisecondsPerAnswer: median * 1e3, tokensPerAnswer: answerLength)
    }

    /// GFLOP/s of one n×n by n×n single-precision product through the BLAS lstmchat uses
    /// (the best of a few runs): the ceiling the workloads are measured against.
    public static func sgemmGFLOPS(size n: Int = 2048, repeats: Int = 5) -> Double {
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        var rng = Xoshiro256(seed: 1)
        for i in 0..<(n * n) { a[i] = rng.nextFloat() - 0.5; b[i] = rng.nextFloat() - 0.5 }
        let times = timed(steps: repeats, warmup: 1) {
            gemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
        }
        return 2 * Double(n) * Double(n) * Double(n) / times.min()! / 1e9
    }

    /// The time of a training step's matrix products alone (the best of a few runs): what a
    /// step would take if everything else were free, through this BLAS and, for the recurrent
    /// products, lstmchat's own kernel, as the model runs them.
    public static func matrixProductSeconds(_ workload: BenchmarkWorkload, repeats: Int = 3) -> Double {
        let products = workload.matrixProducts
        let a = FloatBuffer(count: products.map { $0.m * $0.k }.max()!)
        let b = FloatBuffer(count: products.map { $0.k * $0.n }.max()!)
        let c = FloatBuffer(count: products.map { $0.m * $0.n }.max()!)
        var rng = Xoshiro256(seed: 1)
        for i in 0..<a.count { a[i] = rng.nextFloat() - 0.5 }
        for i in 0..<b.count { b[i] = rng.nextFloat() - 0.5 }
        var packedB = PackedMatrix()
        let times = timed(steps: repeats, warmup: 1) {
            for (i, p) in products.enumerated() {
                guard p.packed else {
                    gemm(transA: p.transA, transB: p.transB, m: p.m, n: p.n, k: p.k,
                         a: a.pointer, lda: p.transA ? p.m : p.k, b: b.pointer, ldb: p.transB ? p.k : p.n,
                         beta: p.beta, c: c.pointer, ldc: p.n)
                    continue
                }
                let previous = i > 0 ? products[i - 1] : nil
                if previous?.packed != true || previous?.n != p.n || previous?.k != p.k {  // a new run of steps
                    packedB.pack(b.pointer, k: p.k, n: p.n, strideK: p.transB ? 1 : p.n, strideN: p.transB ? p.k : 1)
                }
                packedB.multiplyAdd(m: p.m, a: a.pointer, lda: p.k, c: c.pointer, ldc: p.n)
            }
        }
        return times.min()!
    }

    /// The most memory this process has held at once (max resident set size), in bytes.
    public static var peakMemoryBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024  // Linux reports kilobytes
    }

    /// Random ids 3..<V, as the peer draws them (0–2 are the special tokens).
    private static func randomTokens(_ count: Int, vocabSize: Int, rng: inout Xoshiro256) -> [Int32] {
        (0..<count).map { _ in Int32(3 + Int(rng.next() % UInt64(vocabSize - 3))) }
    }

    private static func timed(steps: Int, warmup: Int, beforeTimed: () -> Void = {}, _ body: () -> Void) -> [Double] {
        var times: [Double] = []
        for i in 0..<(warmup + max(steps, 1)) {
            if i == warmup { beforeTimed() }
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if i >= warmup { times.append(seconds) }
        }
        return times
    }
}

extension [Double] {
    var median: Double {
        let s = sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}
