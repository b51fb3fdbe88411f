import CKernels
import Foundation
@testable import LSTMChat
import Testing

/// The C elementwise kernels (Sources/CKernels/elementwise.c), in both builds — the CPU's best
/// (AVX2+FMA here) and the generic one — against libm and against each other.
@Suite(.serialized) struct ElementwiseKernelTests {
    enum Build: String, CaseIterable { case best, generic }

    /// Runs `body` with the kernels of `build`, then gives the CPU's best back.
    static func with<T>(_ build: Build, _ body: () -> T) -> T {
        lstmchat_elementwise_force_generic(build == .generic ? 1 : 0)
        defer { lstmchat_elementwise_force_generic(0) }
        return body()
    }

    static func activation(_ kind: Int32, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { lstmchat_activation(kind, x.count, x.baseAddress!, $0.baseAddress!) } }
        return y
    }

    @Test(arguments: Build.allCases)
    func activationsAreWithinAFewUlpOfLibm(build: Build) {
        let x = ActivationTests.inputs
        let cases: [(kind: Int32, reference: (Double) -> Double, tolerance: Double)] = [
            (0, { Foundation.exp($0) }, 3e-7), (1, { 1 / (1 + Foundation.exp(-$0)) }, 5e-7), (2, { Foundation.tanh($0) }, 5e-7),
        ]
        for c in cases {
            let y = Self.with(build) { Self.activation(c.kind, x) }
            var worst = 0.0
            for k in x.indices {
                let exact = c.reference(Double(x[k]))
                guard abs(exact) >= Double(Float.leastNormalMagnitude), abs(exact) <= 2.4e38 else { continue }
                worst = max(worst, abs(Double(y[k]) - exact) / abs(exact))
            }
            #expect(worst <= c.tolerance, "kind \(c.kind), \(build): relative error \(worst)")
        }
        let edges = Self.with(build) { Self.activation(1, [-1e30, 1e30, .nan]) + Self.activation(2, [-1e30, 1e30, .nan]) }
        #expect(edges[0] >= 0 && edges[0] < 1e-20 && edges[1] == 1 && edges[2].isNaN)
        #expect(edges[3] == -1 && edges[4] == 1 && edges[5].isNaN)
    }

    /// One forward and backward gate step of H = 13 (a tail of 5 after one full vector) with a
    /// row in padding: the two builds agree to float rounding, and padding carries the state.
    @Test func bothBuildsAgreeOnTheGateKernels() {
        let B = 3, H = 13, G = 4 * H
        var rng = Xoshiro256(seed: 7)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.nextDouble() * 6 - 3) } }
        let a0 = random(B * G), cPrev = random(B * H), hPrev = random(B * H), dh0 = random(B * H), dc0 = random(B * H)
        let dOut = random(B * H), lengths: [Int32] = [4, 2, 4]  // row 1 is in padding at t = 2
        func run(_ build: Build) -> [[Float]] {
            Self.with(build) {
                var a = a0, cNext = [Float](repeating: 0, count: B * H), tc = cNext, hNext = cNext
                var dA = [Float](repeating: 1, count: B * G), dh = dh0, dc = dc0
                lstmchat_lstm_gates_forward(Int32(B), Int32(H), &a, cPrev, &cNext, &tc, hPrev, &hNext, lengths, 2)
                lstmchat_lstm_gates_backward(Int32(B), Int32(H), a, &dA, cPrev, tc, &dh, dOut, &dc, lengths, 2)
                return [a, cNext, tc, hNext, dA, dh, dc]
            }
        }
        let best = run(.best), generic = run(.generic)
        for (x, y) in zip(best, generic) {
            for k in x.indices { #expect(abs(x[k] - y[k]) <= 1e-5 * max(1, abs(y[k]))) }
        }
        let (hNext, cNext, dA) = (generic[3], generic[1], generic[4])
        #expect(Array(hNext[H..<(2 * H)]) == Array(hPrev[H..<(2 * H)]))
        #expect(Array(cNext[H..<(2 * H)]) == Array(cPrev[H..<(2 * H)]))
        #expect(dA[G..<(2 * G)].allSatisfy { $0 == 0 })
        // Row 0 by hand at unit 12 (in the tail): i, f, g, o and the new cell.
        let sig = { (x: Float) in 1 / (1 + Foundation.exp(-x)) }
        let j = 12, i = sig(a0[j]), f = sig(a0[H + j]), g = Foundation.tanh(a0[2 * H + j]), o = sig(a0[3 * H + j])
        let c = f * cPrev[j] + i * g
        #expect(abs(cNext[j] - c) < 1e-5 && abs(hNext[j] - o * Foundation.tanh(c)) < 1e-5)
    }

    @Test(arguments: Build.allCases)
    func adamMatchesItsFormula(build: Build) {
        let n = 19
        var p = (0..<n).map { Float($0) / 7 - 1 }, m = [Float](repeating: 0.1, count: n), v = [Float](repeating: 0.2, count: n)
        let g = (0..<n).map { Float($0 % 5) - 2 }
        let (p0, m0, v0) = (p, m, v)
        Self.with(build) { lstmchat_adam(n, &p, g, &m, &v, 0.9, 0.999, 0.01, 0.5, 1e-8) }
        for k in 0..<n {
            let mk = 0.9 * m0[k] + 0.1 * g[k], vk = 0.999 * v0[k] + 0.001 * g[k] * g[k]
            let pk = p0[k] - 0.01 * mk / (vk.squareRoot() / 0.5 + 1e-8)
            #expect(abs(m[k] - mk) < 1e-6 && abs(v[k] - vk) < 1e-6 && abs(p[k] - pk) < 1e-6)
        }
    }

    @Test(arguments: Build.allCases)
    func softmaxCrossEntropyRowMatchesLibm(build: Build) {
        let V = 11, z = (0..<V).map { Float($0 * 37 % 11) / 3 - 1 }, target = 4
        var d = [Float](repeating: 9, count: V)
        let loss = Self.with(build) { lstmchat_softmax_cross_entropy_row(Int32(V), z, Int32(target), 1, 2, &d) }
        let maxZ = Double(z.max()!), sum = z.reduce(0.0) { $0 + Foundation.exp(Double($1) - maxZ) }
        #expect(abs(loss - (Foundation.log(sum) + maxZ - Double(z[target]))) < 1e-6)
        for k in 0..<V {
            let expected = (Foundation.exp(Double(z[k]) - maxZ) / sum - (k == target ? 1 : 0)) / 2
            #expect(abs(Double(d[k]) - expected) < 1e-6)
        }
    }
}
