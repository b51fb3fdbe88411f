import Dispatch

/// How many threads lstmchat's own kernels split a piece of work over.
enum ThreadPolicy {
    /// Below this many floating-point operations a product runs on one thread: handing half of
    /// it to another thread and waiting for it costs more than it saves.
    static var minimumFlopsToSplit = 4 << 20

    static func threads(forFlops flops: Int) -> Int {
        flops >= minimumFlopsToSplit ? BLASInfo.threads : 1
    }
}

/// Chooses, while training runs, between all the threads it was given and one, by timing steps.
///
/// On a machine where another program keeps a core busy (a browser, a build), a step split over
/// two threads waits at every small product for the thread that the scheduler has parked behind
/// the other program: measured on a 2-vCPU Zen 3 with `yes > /dev/null` running, medium trained
/// slower on 2 threads than on 1. No fixed rule knows the load, so this measures it: after one
/// warm-up step, three steps run on each setting, the other one first; the first of each three
/// is not counted (OpenBLAS's worker threads keep spinning for a while after their last product,
/// which would charge a 1-thread step for the 2-thread one before it); the faster per token
/// (mean of two steps) is kept, and every `recheckInterval` steps — or as soon as a step costs
/// twice as much per token as when the choice was made — the two are tried again.
/// Thread counts do change results in the last bits (OpenBLAS's sgemm gives other roundings on
/// 1 and 2 threads, e.g. for 5×512×128 and 64×1024×256), so a tuned run is not repeatable bit
/// for bit: the trainer uses a tuner only when asked (`bench --adaptive-threads`).
public final class ThreadTuner {
    /// Steps between two trials of both settings.
    public var recheckInterval = 100
    /// The most threads (BLAS's count when the first step ran).
    public private(set) var maximum = 0
    /// The thread count chosen now.
    public var threads: Int { BLASInfo.threads }
    /// How many times the choice changed.
    public private(set) var switches = 0

    private var step = 0
    private var trial: [(threads: Int, counted: Bool)] = []  // steps still to try, in order
    private var costs: [Int: [Double]] = [:]  // seconds per unit of work, per thread count, this trial
    private var chosenCost = 0.0, sinceChoice = 0

    public init() {}

    /// Runs one step of `work` units (tokens), timing it to choose the next step's threads.
    public func measure<T>(work: Int, _ body: () throws -> T) rethrows -> T {
        if step == 0 { maximum = BLASInfo.threads }
        step += 1
        guard maximum > 1 else { return try body() }
        if step == 2 || (trial.isEmpty && sinceChoice >= recheckInterval) { startTrial() }
        if let next = trial.first { BLASInfo.threads = next.threads }
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
        let current = BLASInfo.threads, other = current == 1 ? maximum : 1
        trial = [other, current].flatMap { t in [(t, false), (t, true), (t, true)] }
        costs = [:]
    }

    private func choose() {
        let mean = costs.mapValues { $0.reduce(0, +) / Double($0.count) }
        let best = mean.min { $0.value < $1.value }!
        if best.key != BLASInfo.threads { switches += 1 }
        BLASInfo.threads = best.key
        chosenCost = best.value
        sinceChoice = 0
    }
}
