import CKernels
import Dispatch
import Foundation

/// How many threads lstmchat splits its work over, and how.
public enum ThreadPolicy {
    /// The threads lstmchat's products and loops run on (`--threads`). BLAS is kept at one
    /// thread: `gemm` splits the products itself, by rows, so that results do not depend on this.
    public static var threads: Int {
        get { count }
        set { count = max(1, newValue) }
    }
    private static var count: Int = {  // run at the first use, read or write: BLAS goes to one thread then
        BLASInfo.threads = 1
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Below this many floating-point operations a product runs on one thread: handing half of
    /// it to another thread and waiting for it costs more than it saves. (The anchor workload's
    /// recurrent product, 20×128 by 128×512, is 2.6 million: split, it trained 15–25% faster on
    /// 2 threads of a Zen 3.)
    static var minimumFlopsToSplit = 1 << 20

    /// Rows of C in a block of a product split over threads: a multiple of the column unroll of
    /// every x86 OpenBLAS sgemm kernel (4, 8, 12 or 16; a row-major row is a column to BLAS),
    /// so a block boundary never cuts a kernel tile and each element is summed as it would be
    /// in one call. Measured with Debian's OpenBLAS 0.3.21 on its Zen, Haswell, Sandybridge,
    /// Nehalem and Prescott kernels: 300 random products split into 2–4 blocks of 48-row units
    /// equal the unsplit ones bit for bit; with 16-row units 235 of 300 differ (`BLASTests`
    /// checks the kernels in use).
    static let rowUnit = 48

    static func threads(forFlops flops: Int) -> Int {
        flops >= minimumFlopsToSplit ? threads : 1
    }

    /// How many blocks of whole `rowUnit`s to split a product of `rows` rows into. A one-row
    /// product (`oneRow`) reads each weight once for two flops, so memory, not arithmetic, sets
    /// its time: it pays to split from a quarter of the flops.
    static func parts(rows: Int, flops: Int, oneRow: Bool = false) -> Int {
        max(1, min(threads(forFlops: oneRow ? 4 * flops : flops), rows / rowUnit))
    }

    /// Runs `body(first, end)` over `parts` row blocks of `rows` rows (block boundaries on
    /// multiples of `rowUnit`), in parallel when there is more than one.
    @inline(__always)
    static func forEachBlock(rows: Int, parts: Int, _ body: (Int, Int) -> Void) {
        guard parts > 1 else { body(0, rows); return }
        let units = (rows + rowUnit - 1) / rowUnit
        parallel(parts) { p in
            body(rowUnit * (units * p / parts), min(rows, rowUnit * (units * (p + 1) / parts)))
        }
    }

    /// The worker threads started so far (they start at the first job that needs them).
    static var workerThreadCount: Int { Int(lstmchat_worker_count()) }

    /// Runs `body(part)` for every part in 0..<parts, on the calling thread and lstmchat's worker
    /// threads (`Sources/CKernels/workers.c`: they spin a while between jobs, so that handing
    /// over one of a step's small products costs microseconds, not a wake-up).
    static func parallel(_ parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var body = body
            withUnsafeMutablePointer(to: &body) { context in
                lstmchat_parallel_for(Int32(parts), { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(part))
                }, context)
            }
        }
    }
}

/// Chooses, while training runs, between all the threads it was given and one, by timing steps.
///
/// On a machine where another program keeps a core busy (a browser, a build), a step split over
/// two threads waits at every small product for the thread that the scheduler has parked behind
/// the other program: measured on a 2-vCPU Zen 3 with `yes > /dev/null` running, medium trained
/// slower on 2 threads than on 1. No fixed rule knows the load, so this measures it: after one
/// warm-up step, three steps run on each setting, the other one first; the first of each three
/// is not counted (it pays for waking or parking the other threads); the faster per token
/// (mean of two steps) is kept, and every `recheckInterval` steps — or as soon as a step costs
/// twice as much per token as when the choice was made — the two are tried again.
/// The thread count does not change what a step computes (`gemm` splits products by whole row
/// blocks, lstmchat's own kernels and loops split outputs, never sums), so a tuned run gives the
/// same numbers as one on a fixed count: `train` tunes unless given --threads.
public final class ThreadTuner {
    /// Steps between two trials of both settings.
    public var recheckInterval = 100
    /// The most threads (the count set when the first step ran).
    public private(set) var maximum = 0
    /// The thread count chosen now.
    public var threads: Int { ThreadPolicy.threads }
    /// How many times the choice changed.
    public private(set) var switches = 0

    private var step = 0
    private var trial: [(threads: Int, counted: Bool)] = []  // steps still to try, in order
    private var costs: [Int: [Double]] = [:]  // seconds per unit of work, per thread count, this trial
    private var chosenCost = 0.0, sinceChoice = 0

    public init() {}

    /// Runs one step of `work` units (tokens), timing it to choose the next step's threads.
    public func measure<T>(work: Int, _ body: () throws -> T) rethrows -> T {
        if step == 0 { maximum = ThreadPolicy.threads }
        step += 1
        guard maximum > 1 else { return try body() }
        if step == 2 || (trial.isEmpty && sinceChoice >= recheckInterval) { startTrial() }
        if let next = trial.first { ThreadPolicy.threads = next.threads }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let cost = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(max(work, 1))
        guard step >= 2 else { return result }  // the first step pays for first touches of memory
        if !trial.isEmpty {
            let done = trial.removeFirst()
            if done.counted { costs[done.threads, default: []].append(cost) }
            if trial.isEmpty { choose() }
        } else {
            sinceChoice += 1
            if cost > 2 * chosenCost { sinceChoice = recheckInterval }  // the load changed: try again
        }
        return result
    }

    private func startTrial() {
        let current = ThreadPolicy.threads, other = current == 1 ? maximum : 1
        trial = [other, current].flatMap { t in [(t, false), (t, true), (t, true)] }
        costs = [:]
    }

    private func choose() {
        let mean = costs.mapValues { $0.reduce(0, +) / Double($0.count) }
        let best = mean.min { $0.value < $1.value }!
        if best.key != ThreadPolicy.threads { switches += 1 }
        ThreadPolicy.threads = best.key
        chosenCost = best.value
        sinceChoice = 0
    }
}
