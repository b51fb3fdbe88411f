import Foundation
@testable import LSTMChat
import Testing

/// The vector exp, sigmoid and tanh against libm, lane by lane.
@Suite struct ActivationTests {
    /// Every float from −100 to 100 in steps of 1/256, plus the edges of the ranges. Where the exact
    /// value is no normal float, or above e^88.376 ≈ 2.4e38 where exp saturates (just short of
    /// float's largest, so 2ⁿ stays a normal float), only saturation is checked, below.
    static let inputs: [Float] = stride(from: -100, through: 100, by: 1.0 / 256).map { Float($0) }
        + [0, -0, 0.625, -0.625, 0.6249999, 88.37, -87.33, 1e-30, -1e-30, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]

    static func check(_ name: String, vector: (Float8) -> Float8, reference: (Double) -> Double, tolerance: Double) {
        var worst = 0.0, worstAt: Float = 0
        for start in stride(from: 0, to: inputs.count, by: 8) {
            let n = min(8, inputs.count - start)
            let x = inputs.withUnsafeBufferPointer { load8($0.baseAddress!, start, count: n) }
            let y = vector(x)
            for k in 0..<n {
                let exact = reference(Double(x[k]))
                let error = abs(Double(y[k]) - exact) / max(abs(exact), Double(Float.leastNormalMagnitude))
                let representable = abs(exact) >= Double(Float.leastNormalMagnitude) && abs(exact) <= 2.4e38
                if representable, error > worst {
                    worst = error; worstAt = x[k]
                }
            }
        }
        #expect(worst <= tolerance, "\(name): relative error \(worst) at x = \(worstAt)")
    }

    @Test func expIsWithinAFewUlp() {
        Self.check("exp", vector: { exp($0) }, reference: { Foundation.exp($0) }, tolerance: 3e-7)
    }

    @Test func sigmoidIsWithinAFewUlp() {
        Self.check("sigmoid", vector: { sigmoid($0) }, reference: { 1 / (1 + Foundation.exp(-$0)) }, tolerance: 5e-7)
    }

    @Test func tanhIsWithinAFewUlp() {
        Self.check("tanh", vector: { tanh($0) }, reference: { Foundation.tanh($0) }, tolerance: 5e-7)
    }

    @Test func saturatesWithoutInfinityOrNaN() {
        let x = Float8(-1e30, -200, -90, -50, 50, 90, 200, 1e30)
        let s = sigmoid(x)
        for k in 0..<4 { #expect(s[k] >= 0 && s[k] < 1e-20) }
        for k in 4..<8 { #expect(s[k] == 1) }
        #expect(tanh(x) == Float8(-1, -1, -1, -1, 1, 1, 1, 1))
        #expect(exp(Float8(repeating: 100)).max().isFinite)
    }

    @Test func nanStaysNaN() {
        let y = Float8(.nan, 0, 0, 0, 0, 0, 0, 0)
        #expect(exp(y)[0].isNaN && sigmoid(y)[0].isNaN && tanh(y)[0].isNaN)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 4096, 10_001])
    func sumOfSquaresMatchesAPlainSum(count: Int) {
        let x = (0..<count).map { Float($0 % 13) - 6.5 }
        let plain = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(x.withUnsafeBufferPointer { sumOfSquares($0.baseAddress!, count) } == plain)
    }
}
