import ArgumentParser
import Foundation
import LSTMChat

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time training and greedy generation on the benchmark workloads.",
        discussion: """
            Trains the seq2seq model of bench/peer_torch.py (the PyTorch peer) on random token \
            ids and reports training tokens per second (median step after warm-up), the step \
            time, the time of the step's matrix products alone (the step's floor through this \
            BLAS), the GFLOP/s the step and its products alone achieve, greedy generation time \
            per token (a 10-token question, 20 answer tokens, batch of one) and the peak resident \
            memory. The first line gives \
            the BLAS, its core type and threads, and its single-precision GFLOP/s on a 2048² \
            product: the ceiling to compare the workloads with.

            Workloads (vocab, embed, hidden, layers, question and answer steps, batch):
              anchor  100    128 128 1  15 15  20
              medium  4000   256 256 2  16 16  64
              large   16000  512 512 2  16 16  64
              corpus  the bundled model (embed 64, hidden 256, 1 layer) on the batches
                      `train` makes of --corpus (batches of 32, real lengths and words;
                      clipping at 5); tokens/s counts real tokens, over the timed steps
              vocab50k, vocab50k-adaptive
                      embed 128, hidden 256, 1 layer, a vocabulary of 50,000 words, on
                      the batches of --vocab50k-data (bench/make_vocab50k.py writes it) as
                      for corpus; the full softmax, or an adaptive one (cutoffs 2000,10000)

            --profile adds, per workload, where a training step's time goes: embedding, input
            projections, recurrent products, gate kernels, output layer, softmax cross-entropy,
            the backward parts, bias additions and gradients, zeroing, clipping and Adam, with
            the matrix products' share.

            `make bench` runs this beside the PyTorch peer and prints the ratios.
            """)

    @Option(help: ArgumentHelp("anchor, medium, large, corpus, vocab50k, vocab50k-adaptive or all (anchor, medium and large).", valueName: "name"))
    var workload = "all"

    @Option(help: ArgumentHelp("The corpus of the corpus workload.", valueName: "path"))
    var corpus = CorpusWorkload.defaultPath

    @Option(help: ArgumentHelp("The synthetic corpus of the vocab50k workloads (python3 bench/make_vocab50k.py FILE).", valueName: "path"))
    var vocab50kData = CorpusWorkload.vocab50kPath

    @Flag(help: "Print where a training step's time goes.")
    var profile = false

    @Option(help: ArgumentHelp("Write the batches of the corpus workload (or of --workload vocab50k*, those the timed steps run) as JSON for the peers, and stop.", valueName: "file"))
    var exportBatches: String?

    @Option(help: "Threads for lstmchat's products and loops (default: one per CPU).")
    var threads: Int?

    @Flag(help: "Choose between --threads threads and one by timing the training steps, as train does without --threads (on a busy machine one thread can be faster).")
    var adaptiveThreads = false

    @Option(help: "Timed steps (after the warm-up ones).")
    var steps = 20

    @Option(help: "Untimed warm-up steps.")
    var warmup = 3

    @Flag(help: "One JSON object per measurement, as bench/peer_torch.py prints them.")
    var json = false

    @OptionGroup var quantization: QuantizeOption

    func validate() throws {
        if workload != "all" && !CorpusWorkload.names.contains(workload) && BenchmarkWorkload.named(workload) == nil {
            throw ValidationError("unknown workload '\(workload)': expected anchor, medium, large, corpus, vocab50k, vocab50k-adaptive or all")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if steps < 1 { throw ValidationError("--steps must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must be 0 or more") }
    }

    func run() throws {
        ThreadPolicy.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var corpusWorkload: CorpusWorkload?
        if workload.hasPrefix("vocab50k") {
            guard FileManager.default.fileExists(atPath: vocab50kData) else {
                throw CommandFailure("\(vocab50kData): no such file (write it with: python3 bench/make_vocab50k.py \(vocab50kData))")
            }
            corpusWorkload = try CorpusWorkload.vocab50k(vocab50kData, adaptive: workload == "vocab50k-adaptive", batchLimit: warmup + steps)
        } else if workload == "corpus" || exportBatches != nil {
            corpusWorkload = try CorpusWorkload.load(corpus)
        }
        if let exportBatches {
            try corpusWorkload!.peerJSON().write(to: URL(fileURLWithPath: exportBatches))
            return
        }
        let workloads = workload == "all" ? BenchmarkWorkload.all
            : corpusWorkload.map { [$0.workload] } ?? [BenchmarkWorkload.named(workload)!]
        let threadCount = ThreadPolicy.threads
        if let quantize = quantization.quantize {
            // Training is float32 whatever: only generation is timed.
            for w in workloads {
                let generate = Benchmark.generation(w, steps: steps, warmup: warmup, quantize: quantize)
                if json {
                    emit(["measure": "generate", "workload": w.name, "threads": threadCount, "quantize": quantize.rawValue,
                          "kernel": Int8Layers.instructionSet,
                          "ms_per_answer": generate.millisecondsPerAnswer, "ms_per_token": generate.millisecondsPerToken])
                } else {
                    print("\(w.name): \(format(generate.millisecondsPerToken, 3)) ms/token generating on \(quantize.rawValue) weights"
                          + " (\(Int8Layers.instructionSet) kernel, \(threadCount) threads)")
                }
            }
            return
        }
        let sgemm = Benchmark.sgemmGFLOPS()
        if json {
            emit(["measure": "sgemm", "size": 2048, "gflops": sgemm])
        } else {
            print("BLAS: OpenBLAS, core \(BLASInfo.coreName), \(threadCount) threads; sgemm 2048² \(format(sgemm, 1)) GFLOP/s; own kernels \(KernelInfo.instructionSet)")
            print("workload   tokens/s  step ms  products ms   GFLOP/s: step (of sgemm)  products (of sgemm)   ms/token (gen)   max RSS")
        }
        for w in workloads {
            let batches = corpusWorkload?.batches
            let train = Benchmark.training(w, corpus: batches, steps: steps, warmup: warmup, profile: profile,
                                           adaptiveThreads: adaptiveThreads)
            let products: Double
            if let batches {  // the mean over the batches the timed steps ran
                let timed = (0..<steps).map { batches[(warmup + $0) % batches.count] }
                products = timed.map { Benchmark.matrixProductSeconds(w.withBatch($0), repeats: 2) }.reduce(0, +) / Double(steps)
            } else {
                products = Benchmark.matrixProductSeconds(w)
            }
            let generate = Benchmark.generation(w, steps: steps, warmup: warmup)
            let rss = Double(Benchmark.peakMemoryBytes) / 1_048_576
            let productsGFLOPS = train.flopsPerStep / products / 1e9  // the products' own rate
            if json {
                emit(["measure": "train", "workload": w.name, "threads": threadCount,
                      "tokens_per_s": train.tokensPerSecond, "step_ms_median": train.medianSeconds * 1e3,
                      "step_ms_min": train.minSeconds * 1e3, "step_ms_mean": train.meanSeconds * 1e3,
                      "cpu_ms_per_step": train.cpuSecondsPerStep * 1e3, "products_ms": products * 1e3, "gflops": train.gflops,
                      "products_gflops": productsGFLOPS,
                      "params": train.parameterCount, "max_rss_mb": rss,
                      "threads_at_end": train.threadsAtEnd, "thread_switches": train.threadSwitches])
                emit(["measure": "generate", "workload": w.name, "threads": threadCount,
                      "ms_per_answer": generate.millisecondsPerAnswer, "ms_per_token": generate.millisecondsPerToken])
            } else {
                func share(_ gflops: Double) -> String { "(\(format(100 * gflops / sgemm, 0))%)" }
                print(w.name.padding(toLength: 8, withPad: " ", startingAt: 0),
                      pad(format(train.tokensPerSecond, 0), 10), pad(format(train.medianSeconds * 1e3, 1), 8),
                      pad(format(products * 1e3, 1), 12),
                      pad(format(train.gflops, 1), 15), pad(share(train.gflops), 6),
                      pad(format(productsGFLOPS, 1), 10), pad(share(productsGFLOPS), 6),
                      pad(format(generate.millisecondsPerToken, 3), 16), pad(format(rss, 0) + " MB", 9))
                if threadCount > 1 && adaptiveThreads {
                    print("  training chose \(train.threadsAtEnd) of \(threadCount) threads by timing its steps"
                          + " (\(train.threadSwitches) change\(train.threadSwitches == 1 ? "" : "s"))")
                }
            }
            if profile { printProfile(train) }
        }
    }

    /// Where the mean timed step's time went, phase by phase.
    private func printProfile(_ train: Benchmark.Training) {
        let step = train.meanSeconds
        let measured = train.profile.map(\.seconds).reduce(0, +)
        let products = train.profile.filter { $0.phase.isProduct }.map(\.seconds).reduce(0, +)
        for (phase, seconds) in train.profile {
            print("  " + phase.name.padding(toLength: 44, withPad: " ", startingAt: 0),
                  pad(format(seconds * 1e3, 2), 8), "ms", pad(format(100 * seconds / step, 1), 6) + "%", phase.isProduct ? " product" : "")
        }
        print("  " + "rest (batch set-up, copies, unmeasured)".padding(toLength: 44, withPad: " ", startingAt: 0),
              pad(format((step - measured) * 1e3, 2), 8), "ms", pad(format(100 * (step - measured) / step, 1), 6) + "%")
        print("  step \(format(step * 1e3, 2)) ms (mean; CPU \(format(train.cpuSecondsPerStep * 1e3, 2)) ms): products \(format(100 * products / step, 1))%, outside them \(format(100 * (step - products) / step, 1))%")
    }

    private func emit(_ object: [String: Any]) {
        var object = object
        object["peer"] = "lstmchat"
        object["version"] = LSTMChatVersion.number
        object["blas_core"] = BLASInfo.coreName
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        fflush(stdout)
    }

    private func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
