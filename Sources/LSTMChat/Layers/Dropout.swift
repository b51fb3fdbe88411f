/// Inverted dropout: during training each value is zeroed with probability p and the rest are
/// scaled by 1/(1−p), so evaluation (no dropout) needs no rescaling.
struct Dropout {
    private var mask = Workspace()  // 0 or 1/(1−p) for each value of the last forward
    private var output = Workspace()

    /// Returns x with dropout applied (a buffer of this layer's, valid until the next forward).
    mutating func forward(_ x: UnsafePointer<Float>, count: Int, p: Float, rng: inout Xoshiro256) -> UnsafePointer<Float> {
        let mask = self.mask.reserve(count), y = output.reserve(count)
        let keep = 1 / (1 - p)
        for k in 0..<count {
            mask[k] = rng.nextFloat() < p ? 0 : keep
            y[k] = x[k] * mask[k]
        }
        return UnsafePointer(y)
    }

    /// d x = d y ⊙ mask, in place.
    func backward(_ d: UnsafeMutablePointer<Float>, count: Int) {
        for k in 0..<count { d[k] *= mask.pointer[k] }
    }
}
