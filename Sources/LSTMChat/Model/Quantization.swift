/// How a model's weights are stored and multiplied when it is used (`--quantize`, `lstmchat quantize`).
public enum Quantization: String, CaseIterable, Sendable {
    /// Every weight matrix int8 with a float32 scale per row (`QuantizedMatrix`); generation's
    /// LSTM stack and output layer multiply in int8 (`Int8Decoder`), the rest in float32 on the
    /// dequantized weights.
    case int8
}

extension Parameters {
    /// Quantizes every weight matrix to int8 with a scale per row (`QuantizedMatrix`) and puts
    /// their dequantized values in place of the float32 ones, so that what runs in float32 (the
    /// encoder, the embedding, attention) reads the same weights as a model loaded from the
    /// quantized file. Returns the int8 weights by name.
    public func quantizeMatrices() -> [String: QuantizedMatrix] {
        var int8: [String: QuantizedMatrix] = [:]
        for e in layout.entries where e.isMatrix {
            let w = values.pointer + e.offset
            let q = QuantizedMatrix(quantizing: w, rows: e.shape[0], columns: e.shape[1])
            q.dequantize(into: w)
            int8[e.name] = q
        }
        return int8
    }
}
