/// How a model's weights are stored and multiplied when it is used (`--quantize`, `lstmchat quantize`).
public enum Quantization: String, CaseIterable, Sendable {
    /// The weight matrices (not attention's: `ParameterLayout.Entry.isQuantized`) int8 with a
    /// float32 scale per row (`QuantizedMatrix`); generation's LSTM stacks and output layer
    /// multiply in int8 (`Int8Layers`), the rest in float32 (docs/quantization.md).
    case int8
}

extension Parameters {
    /// Quantizes the weight matrices (`isQuantized`) to int8 with a scale per row and puts their
    /// dequantized values in place of the float32 ones, so that what runs in float32 (the
    /// embedding's lookup; everything, in a model without int8 layers) reads the same weights as
    /// a model loaded from the quantized file. Returns the int8 weights by name.
    public func quantizeMatrices() -> [String: QuantizedMatrix] {
        var int8: [String: QuantizedMatrix] = [:]
        for e in layout.entries where e.isQuantized {
            let w = values.pointer + e.offset
            let q = QuantizedMatrix(quantizing: w, rows: e.shape[0], columns: e.shape[1])
            q.dequantize(into: w)
            int8[e.name] = q
        }
        return int8
    }
}
