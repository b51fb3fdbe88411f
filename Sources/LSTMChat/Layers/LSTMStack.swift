/// L LSTM layers, each reading the outputs of the one below (PyTorch's `nn.LSTM` with
/// `num_layers = L`), with optional dropout between layers. States are [L, B, H].
final class LSTMStack {
    let layers: [LSTMLayer]
    let hiddenSize: Int
    private var dropouts: [Dropout]
    private var dropoutActive = false

    init(inputSize: Int, hiddenSize: Int, layers count: Int, parameters: Parameters, prefix: String) {
        self.hiddenSize = hiddenSize
        layers = (0..<count).map {
            LSTMLayer(inputSize: $0 == 0 ? inputSize : hiddenSize, hiddenSize: hiddenSize,
                      parameters: parameters, prefix: prefix, layer: $0)
        }
        dropouts = Array(repeating: Dropout(), count: count)
    }

    var output: UnsafeMutablePointer<Float> { layers[layers.count - 1].output }

    /// Runs the stack over x [T, B, in] from (h0, c0) [L, B, H] (zeros when nil).
    /// With `dropout > 0`, each layer's output but the top one's is dropped out before the next.
    func forward(
        _ x: UnsafePointer<Float>, steps T: Int, batch B: Int,
        h0: UnsafePointer<Float>? = nil, c0: UnsafePointer<Float>? = nil, lengths: UnsafePointer<Int32>? = nil,
        dropout: Float = 0, rng: inout Xoshiro256
    ) -> UnsafeMutablePointer<Float> {
        let state = B * hiddenSize
        dropoutActive = dropout > 0
        var input = x
        for (l, layer) in layers.enumerated() {
            layer.forward(input, steps: T, batch: B, h0: h0.map { $0 + l * state }, c0: c0.map { $0 + l * state }, lengths: lengths)
            input = UnsafePointer(layer.output)
            if dropoutActive, l < layers.count - 1 {
                input = dropouts[l].forward(input, count: T * state, p: dropout, rng: &rng)
            }
        }
        return output
    }

    /// Writes every layer's final (h, c) into [L, B, H] buffers.
    func copyFinalState(h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>) {
        for (l, layer) in layers.enumerated() {
            let n = layer.batch * hiddenSize
            (h + l * n).update(from: layer.finalHidden, count: n)
            (c + l * n).update(from: layer.finalCell, count: n)
        }
    }

    /// Back-propagates from d output [T, B, H] (nil: unused) and d final state [L, B, H] (nil:
    /// unused). Returns d x; `copyInitialStateGradient` gives d (h0, c0).
    @discardableResult
    func backward(dOutput: UnsafePointer<Float>?, dhFinal: UnsafePointer<Float>?, dcFinal: UnsafePointer<Float>?) -> UnsafeMutablePointer<Float> {
        var dOut = dOutput
        var dInput: UnsafeMutablePointer<Float>!
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l], n = layer.batch * hiddenSize, count = layer.steps * n
            dInput = layer.backward(dOutput: dOut, dhFinal: dhFinal.map { $0 + l * n }, dcFinal: dcFinal.map { $0 + l * n })
            if l > 0 {
                if dropoutActive { dropouts[l - 1].backward(dInput, count: count) }
                dOut = UnsafePointer(dInput)
            }
        }
        return dInput
    }

    func copyInitialStateGradient(dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>) {
        for (l, layer) in layers.enumerated() {
            let n = layer.batch * hiddenSize
            (dh + l * n).update(from: layer.dh0, count: n)
            (dc + l * n).update(from: layer.dc0, count: n)
        }
    }
}
