import Dispatch

/// Where a training step's time goes, for `lstmchat bench --profile`: each phase of the step
/// adds its wall time to a counter while profiling is on (off, a phase costs one branch).
/// Phases may nest: an inner phase's time is its own and is taken out of the outer one's (the
/// bias additions inside a product phase count as biases, not as products).
public enum StepProfile {
    public enum Phase: Int, CaseIterable, Sendable {
        case embedding, inputProjection, recurrentProducts, gateKernels, outputLayer, softmaxCrossEntropy
        case outputLayerBackward, backwardGateKernels, backwardRecurrentProducts, weightGradients
        case biases, zeroGradients, clipping, adam

        public var name: String {
            switch self {
            case .embedding: return "embedding (forward and backward)"
            case .inputProjection: return "input projections (all steps, one product)"
            case .recurrentProducts: return "recurrent products h·W_hhᵀ"
            case .gateKernels: return "gate kernels"
            case .outputLayer: return "output layer (affine)"
            case .softmaxCrossEntropy: return "softmax cross-entropy"
            case .outputLayerBackward: return "backward: output layer"
            case .backwardGateKernels: return "backward: gate kernels"
            case .backwardRecurrentProducts: return "backward: recurrent products dA·W_hh"
            case .weightGradients: return "backward: weight and input gradients"
            case .biases: return "bias additions and bias gradients"
            case .zeroGradients: return "zeroing gradients"
            case .clipping: return "gradient norm and clipping"
            case .adam: return "Adam"
            }
        }

        /// Phases that are matrix products (through BLAS or lstmchat's own kernel).
        public var isProduct: Bool {
            switch self {
            case .inputProjection, .recurrentProducts, .outputLayer, .outputLayerBackward, .backwardRecurrentProducts, .weightGradients: return true
            default: return false
            }
        }
    }

    public static var isEnabled = false
    private static var nanoseconds = [UInt64](repeating: 0, count: Phase.allCases.count)
    /// Time of the phases nested in the one running now, so far.
    private static var nested: UInt64 = 0

    @inline(__always)
    static func measure<T>(_ phase: Phase, _ body: () -> T) -> T {
        guard isEnabled else { return body() }
        let outerNested = nested
        nested = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = DispatchTime.now().uptimeNanoseconds &- start
        nanoseconds[phase.rawValue] &+= elapsed &- min(nested, elapsed)
        nested = outerNested &+ elapsed
        return result
    }

    public static func reset() { for i in nanoseconds.indices { nanoseconds[i] = 0 }; nested = 0 }

    /// Seconds spent in each phase since the last reset.
    public static var seconds: [(phase: Phase, seconds: Double)] {
        Phase.allCases.map { ($0, Double(nanoseconds[$0.rawValue]) / 1e9) }
    }
}
