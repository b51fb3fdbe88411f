import Foundation

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// Sum of squares in double precision (norms of large gradient vectors stay exact enough).
func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
    var s: Double = 0
    for i in 0..<count { s += Double(x[i]) * Double(x[i]) }
    return s
}
