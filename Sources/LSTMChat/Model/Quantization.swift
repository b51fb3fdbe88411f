/// How a model's weights are stored and multiplied when it is used (`--quantize`, `lstmchat quantize`).
public enum Quantization: String, CaseIterable, Sendable {
    /// Every weight matrix int8 (`QuantizedMatrix`, stored as `Int8Layout.current` says);
    /// generation's LSTM stacks and output layer multiply in int8 (`Int8Layers`), the rest
    /// (attention, the embedding's lookup) in float32 on the dequantized weights
    /// (docs/quantization.md).
    case int8
}

/// Which parameters a quantized model stores in int8, and with how many columns per scale; the
/// `quantization` metadata of its file names it (docs/quantization.md).
public enum Int8Layout: String, CaseIterable, Sendable {
    /// Every weight matrix int8 with a float32 scale per row, but attention's two (`attn`,
    /// `attn_combine`: small, and multiplied in float32 on their dequantized values) with one
    /// per 32 columns of a row: on the bundled model, every greedy answer of its corpus as in
    /// float32, where a scale per row changed one (docs/quantization.md). What `lstmchat
    /// quantize` writes.
    case perRowAttentionPer32 = "int8-per-row+attention-per-32"
    /// Files written before: attention's matrices float32, the others as above.
    case perRow = "int8-per-row"

    public static let current = perRowAttentionPer32

    /// The columns that share a scale in the int8 form of parameter `e` (its whole row but in
    /// attention's matrices), or nil when it is stored float32 (biases; attention's, in `perRow`).
    public func groupSize(_ e: ParameterLayout.Entry) -> Int? {
        guard e.shape.count == 2 else { return nil }
        guard e.name.hasPrefix("attn") else { return e.shape[1] }
        return self == .perRow ? nil : min(32, e.shape[1])
    }

    /// The layout that stores in int8 exactly the matrices of `int8`, with their groups.
    static func of(_ int8: [String: QuantizedMatrix], _ layout: ParameterLayout) -> Int8Layout? {
        allCases.first { l in layout.entries.allSatisfy { l.groupSize($0) == int8[$0.name]?.groupSize } }
    }
}

extension Parameters {
    /// Quantizes the weight matrices to int8 (`Int8Layout.current`) and puts their dequantized
    /// values in place of the float32 ones, so that what runs in float32 (attention, the
    /// embedding's lookup; everything, in a model without int8 layers) reads the same weights as
    /// a model loaded from the quantized file. Returns the int8 weights by name.
    public func quantizeMatrices() -> [String: QuantizedMatrix] {
        var int8: [String: QuantizedMatrix] = [:]
        for e in layout.entries {
            guard let groupSize = Int8Layout.current.groupSize(e) else { continue }
            let w = values.pointer + e.offset
            let q = QuantizedMatrix(quantizing: w, rows: e.shape[0], columns: e.shape[1], groupSize: groupSize)
            q.dequantize(into: w)
            int8[e.name] = q
        }
        return int8
    }
}
