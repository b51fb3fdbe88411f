import CKernels
import Foundation

/// Adam exactly as `torch.optim.Adam` (bias-corrected moments, no weight decay):
///
///     m ← β₁m + (1−β₁)g        v ← β₂v + (1−β₂)g²
///     p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
public final class Adam {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public private(set) var step = 0
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer

    public init(parameterCount: Int, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
    }

    /// Restores a saved state (for resuming): the step; the moments are read into their buffers.
    public func restore(step: Int) { self.step = step }

    /// One update of every parameter from its gradient, in one fused loop (eight at a time in
    /// Sources/CKernels, split over the BLAS threads).
    public func update(_ parameters: Parameters) {
        precondition(parameters.values.count == firstMoment.count)
        step += 1
        let t = Double(step)
        let bc1 = 1 - pow(Double(beta1), t), bc2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / bc1)
        let bc2Root = Float(bc2.squareRoot())
        let p = parameters.values.pointer, g = parameters.gradients.pointer
        let m = firstMoment.pointer, v = secondMoment.pointer
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        parallelChunks(parameters.values.count) { part in  // Sources/CKernels/elementwise.c
            let k = part.lowerBound
            lstmchat_adam(part.count, p + k, g + k, m + k, v + k, b1, b2, stepSize, bc2Root, eps)
        }
    }
}
