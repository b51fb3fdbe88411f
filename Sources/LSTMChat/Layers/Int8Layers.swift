import CKernels

/// A model whose generation can run on int8 weights (`--quantize int8`, a quantized file): its
/// LSTM stacks and its output layer `proj`.
public protocol Int8Generating: AnyObject {
    /// The parameter-name prefixes of the stack that reads a question (nil: none) and of the
    /// stack that writes.
    static var int8Stacks: (reader: String?, writer: String) { get }
    var config: ModelConfig { get }
    var parameters: Parameters { get }
    /// The int8 layers generation runs on (nil: float32).
    var int8: Int8Layers? { get set }
}

extension Int8Generating {
    /// Makes generation run on `weights`, a quantized checkpoint's int8 matrices.
    public func useInt8(_ weights: [String: QuantizedMatrix]) {
        int8 = Int8Layers(weights, parameters: parameters, config: config, stacks: Self.int8Stacks)
    }
}

/// The layers generation runs on int8 weights: the question's reader (the encoder, when the
/// model has one), the writer (the decoder, or the language model's stack) and the output layer.
/// Training and the loss figures of `eval` stay float32, on the dequantized weights.
public final class Int8Layers {
    let reader: Int8LSTMStack?
    let writer: Int8LSTMStack
    let proj: Int8Affine

    init(_ weights: [String: QuantizedMatrix], parameters: Parameters, config: ModelConfig, stacks: (reader: String?, writer: String)) {
        reader = stacks.reader.map { Int8LSTMStack(weights, parameters: parameters, prefix: $0, config: config) }
        writer = Int8LSTMStack(weights, parameters: parameters, prefix: stacks.writer, config: config)
        proj = Int8Affine(weights, parameters: parameters, name: "proj")
    }

    /// The instruction set the int8 kernels run ("AVX-512 VNNI", "AVX2" or "generic").
    public static var instructionSet: String { Int8Matrix.instructionSet }
}

func int8Matrix(_ weights: [String: QuantizedMatrix], _ name: String) -> Int8Matrix {
    guard let w = weights[name] else { preconditionFailure("no int8 weight \(name)") }
    return Int8Matrix(w)
}

/// The output layer on int8 weights: y = x · Wᵀ + b (`Affine.forward`).
struct Int8Affine {
    let weight: Int8Matrix
    let bias: UnsafePointer<Float>

    init(_ weights: [String: QuantizedMatrix], parameters: Parameters, name: String) {
        weight = int8Matrix(weights, name + ".weight")
        bias = UnsafePointer(parameters.value(name + ".bias").baseAddress!)
    }

    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        weight.multiply(x, m: rows, bias: bias, accumulate: false, into: y, ldy: weight.rows)
    }
}

/// An LSTM stack on int8 weights (`LSTMStack`'s forward, for generation): per layer, the input
/// projection of every step at once, a = (b_ih + b_hh) + x·W_ihᵀ, then at each step
/// a += h·W_hhᵀ and the same gate kernel as `LSTMLayer`, which carries rows past their length.
final class Int8LSTMStack {
    private struct Layer {
        let input: Int8Matrix, recurrent: Int8Matrix
        let bias: FloatBuffer  // b_ih + b_hh, [4H]
    }
    private let layers: [Layer]
    private let hiddenSize: Int
    private var gates = Workspace(), cell = Workspace(), tanhCell = Workspace()
    private var outputs = [Workspace(), Workspace()]  // [T, B, H]: odd and even layers' outputs

    init(_ weights: [String: QuantizedMatrix], parameters: Parameters, prefix: String, config: ModelConfig) {
        let G = 4 * config.hiddenSize
        hiddenSize = config.hiddenSize
        layers = (0..<config.layers).map { l in
            let bih = parameters.value("\(prefix).bias_ih_l\(l)"), bhh = parameters.value("\(prefix).bias_hh_l\(l)")
            return Layer(input: int8Matrix(weights, "\(prefix).weight_ih_l\(l)"), recurrent: int8Matrix(weights, "\(prefix).weight_hh_l\(l)"),
                         bias: FloatBuffer((0..<G).map { bih[$0] + bhh[$0] }))
        }
    }

    /// Runs T steps over x [T, B, in] from the state h, c [L, B, H], which it replaces by the
    /// final state (each row's after its own last token when `lengths` is given). Returns the
    /// top layer's outputs [T, B, H], valid until the next forward.
    func forward(_ x: UnsafePointer<Float>, steps T: Int, batch B: Int, lengths: UnsafePointer<Int32>?,
                 h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let H = hiddenSize, G = 4 * H, state = B * H
        let a = gates.reserve(T * B * G), cNext = cell.reserve(state), tc = tanhCell.reserve(state)
        var input = x
        for (l, layer) in layers.enumerated() {
            let out = outputs[l % 2].reserve(T * state), hl = h + l * state, cl = c + l * state
            layer.input.multiply(input, m: T * B, bias: layer.bias.pointer, accumulate: false, into: a, ldy: G)
            var hPrev = UnsafePointer(hl)
            for t in 0..<T {
                let at = a + t * B * G, hNext = out + t * state
                layer.recurrent.multiply(hPrev, m: B, bias: nil, accumulate: true, into: at, ldy: G)
                lstmchat_lstm_gates_forward(Int32(B), Int32(H), at, cl, cNext, tc, hPrev, hNext, lengths, Int32(t))
                cl.update(from: cNext, count: state)
                hPrev = UnsafePointer(hNext)
            }
            hl.update(from: hPrev, count: state)
            input = UnsafePointer(out)
        }
        return input
    }
}
