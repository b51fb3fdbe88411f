import Foundation

/// Requests from many clients answered in batches by one thread that owns the model: what
/// arrives while a batch is decoded waits in a bounded queue and goes in the next batch, so 64
/// clients at once cost a few batched decodes instead of 64 single ones.
///
///     let batcher = DynamicBatcher<ServedQuery, ServedReply> { queries in model.replies(queries) }
///     let reply = try await batcher.submit(query)      // from any task; throws `Busy` when full
///
/// The thread takes everything queued, up to `maxBatch`. When fewer are waiting than came
/// together last time (clients of the last batch are still sending their next request), it waits
/// up to `maxWait` for them; one client alone never waits. Over `capacity` waiting requests,
/// `submit` refuses at once (`Busy`: the server answers 503) instead of queueing without bound.
public final class DynamicBatcher<Query: Sendable, Reply: Sendable>: @unchecked Sendable {
    public struct Limits: Sendable {
        /// The most requests waiting; more are refused.
        public var capacity = 256
        /// The most requests decoded in one batch.
        public var maxBatch = 64
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
    private let process: ([Query]) -> [Reply]
    private let onBatch: (Int) -> Void
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var stopped = false

    /// - process: runs on the batcher's own thread, one batch at a time; returns one reply per query, in order.
    /// - onBatch: told each batch's size (metrics).
    public init(limits: Limits = Limits(), name: String = "lstmchat-model", onBatch: @escaping (Int) -> Void = { _ in },
                process: @escaping ([Query]) -> [Reply]) {
        precondition(limits.capacity > 0 && limits.maxBatch > 0 && limits.maxWait >= 0)
        self.limits = limits
        self.process = process
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
        var lastBatch = 1
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {  // stopped, nothing left
                condition.unlock()
                return
            }
            let expected = min(lastBatch, limits.maxBatch)
            if queue.count < expected && !stopped {
                let deadline = Date(timeIntervalSinceNow: limits.maxWait)
                while queue.count < expected, condition.wait(until: deadline) {}
            }
            let batch = Array(queue.prefix(limits.maxBatch))
            queue.removeFirst(batch.count)
            condition.unlock()

            onBatch(batch.count)
            let replies = process(batch.map(\.query))
            precondition(replies.count == batch.count, "one reply per query")
            for (pending, reply) in zip(batch, replies) { pending.continuation.resume(returning: reply) }
            lastBatch = batch.count
        }
    }
}
