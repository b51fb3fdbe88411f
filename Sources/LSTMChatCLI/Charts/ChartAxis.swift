import Foundation

/// An axis with round ticks (1, 2 or 5 × 10ᵏ apart) that covers a range of values.
struct ChartAxis {
    var lower: Double
    var upper: Double
    var tickSpacing: Double
    var ticks: [Double]

    /// The axis over the finite `values`, about `tickCount` ticks long, from zero when `fromZero`
    /// and no value is negative; never below zero when no value is. No values, or a single one,
    /// still give an axis of some width.
    ///
    /// `margin` is the share of the values' range left free beyond them, so that no point sits on
    /// the border; then the ends are rounded out to ticks, unless not `roundedOut`: such an axis
    /// ends where its values end, with ticks only inside. `minimumSpacing` 1 keeps the ticks of a
    /// count, such as steps, whole.
    init<Values: Sequence>(covering values: Values, fromZero: Bool = false, tickCount: Int = 5, minimumSpacing: Double = 0,
                           margin: Double = 0.03, roundedOut: Bool = true)
    where Values.Element == Double {
        var low = Double.infinity, high = -Double.infinity
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
        if low > high { (low, high) = (0, 1) }
        let startsAtZero = fromZero && low >= 0
        if startsAtZero { low = 0 }
        if low == high {
            // A constant: give it an axis a tenth of its size either side (zero gets -1…1, or 0…1).
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (startsAtZero ? 0 : low - pad, high + pad)
        }
        let room = (high - low) * margin
        // Values that are never negative (losses, rates) get no negative part from the margin.
        (low, high) = (startsAtZero ? 0 : low >= 0 ? max(0, low - room) : low - room, high + room)
        if !(high - low).isNormal { (low, high) = (0, 1) }  // values too tiny or huge to tick
        let spacing = max(minimumSpacing, Self.niceNumber((high - low) / Double(max(1, tickCount - 1))))
        let first = (low / spacing).rounded(roundedOut ? .down : .up), last = (high / spacing).rounded(roundedOut ? .up : .down)
        lower = roundedOut ? first * spacing : low
        upper = roundedOut ? last * spacing : high
        tickSpacing = spacing
        // Each tick a whole multiple of the spacing, so labels read 0.3 and not 0.30000000000000004.
        ticks = stride(from: first, through: last, by: 1).map { $0 * spacing }
    }

    /// The round number (1, 2, 5 or 10 × 10ᵏ) nearest to `value`.
    static func niceNumber(_ value: Double) -> Double {
        let magnitude = pow(10, (log10(value)).rounded(.down))
        let fraction = value / magnitude
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * magnitude
    }

    /// Where `value` falls between the axis ends, 0 at `lower` and 1 at `upper`.
    func fraction(_ value: Double) -> Double { (value - lower) / (upper - lower) }

    /// A tick's label with as many decimals as the spacing needs: "0.0005", "2.5", "20k", "1.5M".
    func label(_ value: Double) -> String {
        if abs(value) < tickSpacing * 1e-6 { return "0" }
        let largest = max(abs(lower), abs(upper))
        if largest >= 1_000_000, tickSpacing >= 100_000 { return Self.decimal(value / 1_000_000, spacing: tickSpacing / 1_000_000) + "M" }
        if largest >= 10_000, tickSpacing >= 100 { return Self.decimal(value / 1000, spacing: tickSpacing / 1000) + "k" }
        return Self.decimal(value, spacing: tickSpacing)
    }

    private static func decimal(_ value: Double, spacing: Double) -> String {
        let decimals = max(0, Int((-log10(spacing) - 1e-9).rounded(.up)))
        if decimals > 6 { return String(format: "%.0e", value) }
        return String(format: "%.\(decimals)f", value)
    }
}
