/// Cuts encoded labelled texts into batches, a new order every epoch from a shuffle seeded by
/// (seed, epoch) alone, so a run stopped and resumed at an epoch sees the same batches. Inside
/// a batch, rows are ordered by length, longest first (ties keep their order), so the LSTM's
/// steps run over fewer rows as texts end (`LSTMLayer.rowsRunning`).
public struct ClassifierBatcher: Sendable {
    public typealias Row = (ids: [Int32], label: Int32)

    public let rows: [Row]
    public let batchSize: Int
    public let seed: UInt64

    /// Texts with no tokens are left out (`rows` holds the others).
    public init(rows: [Row], batchSize: Int, seed: UInt64) {
        precondition(batchSize > 0, "the batch size is at least 1")
        self.rows = rows.filter { !$0.ids.isEmpty }
        self.batchSize = batchSize
        self.seed = seed
    }

    public func batches(epoch: Int) -> [ClassifierBatch] {
        var generator = Xoshiro256(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        var order = Array(rows.indices)
        order.deterministicShuffle(using: &generator)
        return stride(from: 0, to: order.count, by: batchSize).map { start in
            let part = order[start..<min(start + batchSize, order.count)].stablySorted { -rows[$0].ids.count }
            return ClassifierBatch(texts: part.map { rows[$0].ids }, labels: part.map { rows[$0].label })
        }
    }
}
