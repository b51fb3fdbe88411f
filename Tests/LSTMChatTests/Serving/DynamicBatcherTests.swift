import Foundation
import Testing
@testable import LSTMChat

@Suite struct DynamicBatcherTests {
    /// Records each batch; takes `delay` seconds per batch, like a model decoding.
    final class Recorder: @unchecked Sendable {
        let lock = NSLock()
        var batches: [[Int]] = []
        func record(_ batch: [Int]) { lock.withLock { batches.append(batch) } }
        var sizes: [Int] { lock.withLock { batches.map(\.count) } }
    }

    static func batcher(_ recorder: Recorder, limits: DynamicBatcher<Int, Int>.Limits = .init(), delay: Double = 0.02) -> DynamicBatcher<Int, Int> {
        DynamicBatcher(limits: limits) { batch in
            recorder.record(batch)
            Thread.sleep(forTimeInterval: delay)
            return batch.map { $0 * 10 }
        }
    }

    @Test func requestsThatArriveTogetherAreDecodedTogetherAndEachGetsItsOwnReply() async throws {
        let recorder = Recorder(), batcher = Self.batcher(recorder)
        let replies = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 0..<40 { group.addTask { (i, try await batcher.submit(i)) } }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(replies.count == 40 && replies.allSatisfy { $0.value == $0.key * 10 })
        // 40 at once while each batch takes 20 ms: far fewer batches than requests.
        #expect(recorder.sizes.reduce(0, +) == 40)
        #expect(recorder.sizes.count <= 10, "batches: \(recorder.sizes)")
        batcher.stop()
    }

    @Test func noBatchIsLargerThanMaxBatch() async throws {
        var limits = DynamicBatcher<Int, Int>.Limits()
        limits.maxBatch = 4
        let recorder = Recorder(), batcher = Self.batcher(recorder, limits: limits)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<30 { group.addTask { try await batcher.submit(i) } }
            try await group.waitForAll()
        }
        #expect(recorder.sizes.max()! <= 4 && recorder.sizes.reduce(0, +) == 30)
        batcher.stop()
    }

    /// Over capacity, a request is refused at once rather than queued without bound.
    @Test func overCapacityARequestIsRefusedAtOnce() async throws {
        var limits = DynamicBatcher<Int, Int>.Limits()
        limits.capacity = 2
        limits.maxBatch = 1
        let recorder = Recorder(), batcher = Self.batcher(recorder, limits: limits, delay: 0.3)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    do { _ = try await batcher.submit(i); return true } catch is DynamicBatcher<Int, Int>.Busy { return false } catch { return true }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        // One decoding, two waiting: the other five are refused.
        #expect(results.filter { !$0 }.count >= 4, "\(results)")
        #expect(results.filter { $0 }.count >= 1)
        batcher.stop()
    }

    @Test func aStoppedBatcherAnswersWhatWaitsAndRefusesNewRequests() async throws {
        let recorder = Recorder(), batcher = Self.batcher(recorder, delay: 0.05)
        async let first = batcher.submit(1)
        try await Task.sleep(for: .milliseconds(10))
        batcher.stop()
        #expect(try await first == 10)
        await #expect(throws: DynamicBatcher<Int, Int>.Stopped.self) { try await batcher.submit(2) }
    }

    /// One client alone never waits for others: with a wait of 10 minutes for company, five
    /// requests one after the other finish within the time limit, each in a batch of its own.
    @Test(.timeLimit(.minutes(1))) func oneClientAloneIsNotKeptWaiting() async throws {
        var limits = DynamicBatcher<Int, Int>.Limits()
        limits.maxWait = 600
        let recorder = Recorder(), batcher = Self.batcher(recorder, limits: limits, delay: 0)
        for i in 0..<5 { #expect(try await batcher.submit(i) == i * 10) }
        #expect(recorder.sizes == [1, 1, 1, 1, 1])
        batcher.stop()
    }

    /// A model decoding step by step (5 ms a step): query n needs n steps; its reply is the
    /// number of steps run when it ended.
    final class Stepper: @unchecked Sendable {
        var steps = 0, open: [(left: Int, answer: (Int) -> Void)] = []
        func admit(_ queries: [Int], answer: @escaping (Int, Int) -> Void) {
            for (i, n) in queries.enumerated() { open.append((n, { answer(i, $0) })) }
        }
        func step() -> Int {
            Thread.sleep(forTimeInterval: 0.005)
            steps += 1
            for i in open.indices { open[i].left -= 1 }
            for ended in open where ended.left <= 0 { ended.answer(steps) }
            open.removeAll { $0.left <= 0 }
            return open.count
        }
    }

    /// Continuous batching: a request that arrives while a long one is decoded joins its batch
    /// at the next step and ends long before it.
    @Test func aRequestJoinsTheBatchInProgressAtItsNextStep() async throws {
        let stepper = Stepper()
        let batcher = DynamicBatcher<Int, Int>(admit: stepper.admit, step: stepper.step)
        async let long = batcher.submit(100)
        try await Task.sleep(for: .milliseconds(50))
        let short = try await batcher.submit(2)
        #expect(short < 60, "the short one ended at step \(short)")
        #expect(try await long == 100)
        batcher.stop()
    }
}
