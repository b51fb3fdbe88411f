import Foundation

/// Training feedback on stderr: a redrawn one-line bar on a terminal, a plain line every few
/// seconds otherwise (logs, CI), nothing with --quiet.
struct ProgressBar {
    enum Mode { case bar, lines, quiet }

    let mode: Mode
    private var lastDraw = 0.0
    private var smoothedLoss: Float?
    private var smoothedRate: Double?

    init(quiet: Bool) {
        mode = quiet ? .quiet : (isatty(STDERR_FILENO) != 0 ? .bar : .lines)
    }

    /// Called after every step.
    mutating func update(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Float, tokensPerSecond: Double, remainingSeconds: Double) {
        // Exponential moving averages: the raw figures jump from batch to batch.
        smoothedLoss = smoothedLoss.map { 0.95 * $0 + 0.05 * loss } ?? loss
        smoothedRate = smoothedRate.map { 0.9 * $0 + 0.1 * tokensPerSecond } ?? tokensPerSecond
        let now = Date().timeIntervalSinceReferenceDate
        let interval = mode == .bar ? 0.1 : 10
        guard mode != .quiet, now - lastDraw >= interval || step == steps else { return }
        lastDraw = now
        let figures = String(format: "loss %.3f  %.0f tok/s  ETA ", smoothedLoss!, smoothedRate!) + Self.duration(remainingSeconds)
        if mode == .bar {
            let width = 24, filled = steps > 0 ? width * step / steps : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\u{1B}[2Kepoch \(epoch)/\(epochs) \(bar) \(step)/\(steps)  \(figures)")
        } else {
            write("epoch \(epoch)/\(epochs)  step \(step)/\(steps)  \(figures)\n")
        }
    }

    /// A line of its own (epoch summaries, warnings), never mixed into the bar.
    mutating func message(_ text: String) {
        guard mode != .quiet else { return }
        write((mode == .bar ? "\r\u{1B}[2K" : "") + text + "\n")
        lastDraw = 0
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
