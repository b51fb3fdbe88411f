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
            BLAS), the GFLOP/s it achieves, greedy generation time per token (a 10-token question, \
            20 answer tokens, batch of one) and the peak resident memory. The first line gives \
            the BLAS, its core type and threads, and its single-precision GFLOP/s on a 2048² \
            product: the ceiling to compare the workloads with.

            Workloads (vocab, embed, hidden, layers, question and answer steps, batch):
              anchor  100    128 128 1  15 15  20
              medium  4000   256 256 2  16 16  64
              large   16000  512 512 2  16 16  64

            `make bench` runs this beside the PyTorch peer and prints the ratios.
            """)

    @Option(help: ArgumentHelp("anchor, medium, large or all.", valueName: "name"))
    var workload = "all"

    @Option(help: "Threads for BLAS and for lstmchat's own loops (default: one per CPU).")
    var threads: Int?

    @Option(help: "Timed steps (after the warm-up ones).")
    var steps = 20

    @Option(help: "Untimed warm-up steps.")
    var warmup = 3

    @Flag(help: "One JSON object per measurement, as bench/peer_torch.py prints them.")
    var json = false

    func validate() throws {
        if workload != "all" && BenchmarkWorkload.named(workload) == nil {
            throw ValidationError("unknown workload '\(workload)': expected anchor, medium, large or all")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if steps < 1 { throw ValidationError("--steps must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must be 0 or more") }
    }

    func run() throws {
        BLASInfo.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let workloads = workload == "all" ? BenchmarkWorkload.all : [BenchmarkWorkload.named(workload)!]
        let threadCount = BLASInfo.threads
        let sgemm = Benchmark.sgemmGFLOPS()
        if json {
            emit(["measure": "sgemm", "size": 2048, "gflops": sgemm])
        } else {
            print("BLAS: OpenBLAS, core \(BLASInfo.coreName), \(threadCount) threads; sgemm 2048² \(format(sgemm, 1)) GFLOP/s")
            print("workload   tokens/s  step ms  products ms   GFLOP/s (of sgemm)   ms/token (gen)   max RSS")
        }
        for w in workloads {
            let train = Benchmark.training(w, steps: steps, warmup: warmup)
            let products = Benchmark.matrixProductSeconds(w)
            let generate = Benchmark.generation(w, steps: steps, warmup: warmup)
            let rss = Double(Benchmark.peakMemoryBytes) / 1_048_576
            if json {
                emit(["measure": "train", "workload": w.name, "threads": threadCount,
                      "tokens_per_s": train.tokensPerSecond, "step_ms_median": train.medianSeconds * 1e3,
                      "step_ms_min": train.minSeconds * 1e3, "products_ms": products * 1e3, "gflops": train.gflops,
                      "params": train.parameterCount, "max_rss_mb": rss])
                emit(["measure": "generate", "workload": w.name, "threads": threadCount,
                      "ms_per_answer": generate.millisecondsPerAnswer, "ms_per_token": generate.millisecondsPerToken])
            } else {
                let share = "(\(format(100 * train.gflops / sgemm, 0))%)"
                print(w.name.padding(toLength: 8, withPad: " ", startingAt: 0),
                      pad(format(train.tokensPerSecond, 0), 10), pad(format(train.medianSeconds * 1e3, 1), 8),
                      pad(format(products * 1e3, 1), 12),
                      pad(format(train.gflops, 1), 9), pad(share, 6),
                      pad(format(generate.millisecondsPerToken, 3), 16), pad(format(rss, 0) + " MB", 9))
            }
        }
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
