import Foundation
import Testing
@testable import LSTMChat

/// `gemm` splits a large product over lstmchat's threads by row blocks; what it computes must not
/// depend on how many there are, bit for bit (training resumes exactly, and may change its thread
/// count as it goes), and must be the product.
extension ThreadCountTests {
    @Suite struct BLASTests {
        /// C = alpha·op(A)·op(B) + beta·C on 1 thread (one BLAS call) and on 2, 3 and 4 (2, 3 or 4
        /// blocks), for every combination of transposes, with row counts that are and are not whole
        /// blocks; one-row products (sgemv) split the outputs when B is transposed.
        @Test(arguments: [(640, 3437, 256), (3437, 256, 640), (1024, 1024, 256), (200, 512, 129), (97, 333, 600),
                          (1, 16000, 512), (1, 2048, 512), (1, 300, 900)])
        func aProductIsTheSameOnAnyNumberOfThreads(m: Int, n: Int, k: Int) {
            let saved = (ThreadPolicy.threads, ThreadPolicy.minimumFlopsToSplit)
            defer { (ThreadPolicy.threads, ThreadPolicy.minimumFlopsToSplit) = saved }
            ThreadPolicy.minimumFlopsToSplit = 0
            var rng = Xoshiro256(seed: UInt64(m * 7 + n * 3 + k))
            let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
            let b = (0..<(k * n)).map { _ in rng.nextFloat() - 0.5 }
            let c0 = (0..<(m * n)).map { _ in rng.nextFloat() - 0.5 }
            for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
                func product(threads: Int) -> [Float] {
                    ThreadPolicy.threads = threads
                    var c = c0
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { c in
                                gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.7, a: a.baseAddress!,
                                     lda: transA ? m : k, b: b.baseAddress!, ldb: transB ? k : n, beta: 0.5,
                                     c: c.baseAddress!, ldc: n)
                            }
                        }
                    }
                    return c
                }
                let one = product(threads: 1)
                for threads in [2, 3, 4] {
                let same = product(threads: threads) == one  // (not inside #expect, which would print both arrays)
                #expect(same, "\(threads) threads, transA \(transA) transB \(transB)")
            }
                // …and the product itself, on a few elements.
                for (i, j) in [(0, 0), (m - 1, n - 1), (m / 2, n / 3)] {
                    var sum: Double = 0
                    for p in 0..<k {
                        sum += Double(transA ? a[p * m + i] : a[i * k + p]) * Double(transB ? b[j * k + p] : b[p * n + j])
                    }
                    let expected = 0.7 * sum + 0.5 * Double(c0[i * n + j])
                    #expect(abs(Double(one[i * n + j]) - expected) <= 1e-5 * Double(k), "(\(i), \(j))")
                }
            }
        }

        /// lstmchat splits the products itself; BLAS's own threading would make results depend on
        /// the thread count again.
        @Test func blasItselfRunsOnOneThread() {
            let saved = ThreadPolicy.threads
            defer { ThreadPolicy.threads = saved }
            ThreadPolicy.threads = 2
            #expect(ThreadPolicy.threads == 2 && BLASInfo.threads == 1)
        }

        @Test(arguments: [48, 95, 96, 97, 500, 3437])
        func blocksAreWholeUnitsAndCoverTheRows(rows: Int) {
            let lock = NSLock()
            var blocks: [(first: Int, end: Int)] = []
            ThreadPolicy.forEachBlock(rows: rows, parts: min(3, max(1, rows / ThreadPolicy.rowUnit))) { first, end in
                lock.withLock { blocks.append((first, end)) }
            }
            blocks.sort { $0.first < $1.first }
            #expect(blocks.first?.first == 0 && blocks.last?.end == rows)
            for (x, y) in zip(blocks, blocks.dropFirst()) { #expect(x.end == y.first && x.first < x.end) }
            for block in blocks.dropLast() { #expect(block.end % ThreadPolicy.rowUnit == 0) }
        }
    }
}
