import Foundation
@testable import LSTMChat
import Testing

/// `ThreadPolicy.parallel` and the worker threads behind it (`Sources/CKernels/workers.c`): every
/// part runs exactly once, whoever calls, however often, and from wherever.
@Suite struct WorkerThreadTests {
    /// Runs `parallel(parts)` and returns how many times each part ran (each part counts in a
    /// slot of its own, so no two threads write the same memory unless a part runs twice).
    private static func runCounts(_ parts: Int, inside body: (Int) -> Void = { _ in }) -> [Int] {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: parts)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        ThreadPolicy.parallel(parts) { p in
            counts[p] += 1
            body(p)
        }
        return Array(counts)
    }

    @Test("every part runs once", arguments: [1, 2, 3, 4, 7, 16])
    func everyPartRunsOnce(parts: Int) {
        for _ in 0..<2_000 {  // back to back: the workers are still spinning from the last job
            let counts = Self.runCounts(parts)
            guard counts.allSatisfy({ $0 == 1 }) else { Issue.record("part counts \(counts)"); return }
        }
        if parts > 1 { #expect(ThreadPolicy.workerThreadCount >= 1) }
    }

    @Test func jobsAfterTheWorkersHaveGoneToSleepStillRun() {
        for _ in 0..<5 {
            #expect(Self.runCounts(4) == [1, 1, 1, 1])
            usleep(3_000)  // longer than a worker spins before it sleeps
        }
    }

    /// A part that asks for parallel work (a product inside a product) gets it done on its own thread.
    @Test func aCallFromInsideAPartRunsAllItsParts() {
        var inner = [[Int]](repeating: [], count: 3)
        let outer = inner.withUnsafeMutableBufferPointer { inner in
            Self.runCounts(3) { p in inner[p] = Self.runCounts(5) }
        }
        #expect(outer == [1, 1, 1])
        #expect(inner == Array(repeating: [1, 1, 1, 1, 1], count: 3))
    }

    /// Callers on several threads at once (tests run concurrently; so may a program's threads).
    @Test func callersOnSeveralThreadsAtOnce() {
        var failures = [Int](repeating: 0, count: 4)
        failures.withUnsafeMutableBufferPointer { failures in
            DispatchQueue.concurrentPerform(iterations: 4) { caller in
                for i in 0..<500 {
                    let parts = 2 + (caller + i) % 5
                    if Self.runCounts(parts) != Array(repeating: 1, count: parts) { failures[caller] += 1 }
                }
            }
        }
        #expect(failures == [0, 0, 0, 0])
    }
}
