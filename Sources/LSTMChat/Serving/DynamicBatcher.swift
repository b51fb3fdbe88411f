import Foundation

/// Requests from many clients answered in batches by one thread that owns the model: what
/// arrives while a batch is decoded waits in a bounded queue and joins the batch at its next
/// step (continuous batching, when the model decodes step by step), so 64 clients at once cost
/// batched decoding steps instead of 64 single ones.
///
///     let batcher = DynamicBatcher<ServedQuery, ServedReply> { queries in model.replies(queries) }
///     let reply = try await batcher.submit(query)      // from any task; throws `Busy` when full
///
/// Between two steps the thread takes everything queued, up to `maxBatch` in the batch. Idle,
/// when fewer are waiting than were in the batch last time (clients of the last batch are still
/// sending their next request), it waits up to `maxWait` for them; one client alone never
/// waits. Over `capacity` waiting requests, `submit` refuses at once (`Busy`: the server answers
/// 503) instead of queueing without bound.
public final class DynamicBatcher<Query: Sendable, Reply: Sendable>: @unchecked Sendable {
    public struct Limits: Sendable {
        /// The most requests waiting; more are refused.
        public var capacity = 256
        /// The most requests decoded in one batch. A step of 32 rows costs about half one of
        /// 64 (the products are compute-bound there), so long answers end sooner (p99 at 64
        /// clients) for little less throughput.
        public var maxBatch = 32
        /// The longest a request waits for others to join its batch (seconds).
        public var maxWait = 0.002

        public init() {}
    }

    /// The queue is full: try again later.
    public struct Busy: Error {}
    /// The batcher was stopped: no more requests are taken.
    public struct Stopped: Error {}

    private struct Pending {
        var query: Query
        var continuation: CheckedContinuation<Reply, any Error>
    }

    public let limits: Limits
    private let admit: ([Query], @escaping (Int, Reply) -> Void) -> Void
    private let step: () -> Int
    private let onBatch: (Int) -> Void
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var stopped = false

    /// Each batch decoded whole: `process` returns one reply per query, in order.
    public convenience init(limits: Limits = Limits(), name: String = "lstmchat-model", onBatch: @escaping (Int) -> Void = { _ in },
                            process: @escaping ([Query]) -> [Reply]) {
        self.init(limits: limits, name: name, onBatch: onBatch, admit: { queries, answer in
            let replies = process(queries)
            precondition(replies.count == queries.count, "one reply per query")
            for (i, reply) in replies.enumerated() { answer(i, reply) }
        }, step: { 0 })
    }

    /// Both run on the batcher's own thread:
    /// - admit: takes queries into the batch; `answer(i, reply)` gives query i its reply, at
    ///   once or during a later `step`.
    /// - step: decodes one step of the batch; returns how many queries are left in it.
    /// - onBatch: told the batch's size each time queries join it (metrics).
    public init(limits: Limits = Limits(), name: String = "lstmchat-model", onBatch: @escaping (Int) -> Void = { _ in },
                admit: @escaping ([Query], @escaping (Int, Reply) -> Void) -> Void, step: @escaping () -> Int) {
        precondition(limits.capacity > 0 && limits.maxBatch > 0 && limits.maxWait >= 0)
        self.limits = limits
        self.admit = admit
        self.step = step
        self.onBatch = onBatch
        // The thread keeps the batcher alive until `stop()` lets it end.
        let thread = Thread { self.run() }
        thread.name = name
        thread.start()
    }

    /// The reply to `query`, decoded with whatever arrives with it.
    public func submit(_ query: Query) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if stopped { return continuation.resume(throwing: Stopped()) }
            guard queue.count < limits.capacity else { return continuation.resume(throwing: Busy()) }
            queue.append(Pending(query: query, continuation: continuation))
            condition.signal()
        }
    }

    /// How many requests are waiting.
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// Takes no more requests; those already queued are still answered.
    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var lastBatch = 1, active = 0  // the batch's size when queries last joined it; the queries in it now
        while true {
            condition.lock()
            while queue.isEmpty && active == 0 && !stopped { condition.wait() }
            if queue.isEmpty && active == 0 {  // stopped, nothing left
                condition.unlock()
                return
            }
            let expected = min(lastBatch, limits.maxBatch)
            if active == 0 && queue.count < expected && !stopped {
                let deadline = Date(timeIntervalSinceNow: limits.maxWait)
                while queue.count < expected, condition.wait(until: deadline) {}
            }
            let joining = Array(queue.prefix(limits.maxBatch - active))
            queue.removeFirst(joining.count)
            condition.unlock()

            if !joining.isEmpty {
                onBatch(active + joining.count)
                admit(joining.map(\.query)) { i, reply in joining[i].continuation.resume(returning: reply) }
                lastBatch = active + joining.count
            }
            active = step()
        }
    }
}
