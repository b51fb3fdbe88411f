import Foundation

/// A grid of braille characters, each cell a block of 2×4 dots, to draw lines on in a terminal.
struct BrailleCanvas {
    let columns: Int, rows: Int
    private var dots: [UInt8]
    /// The colour of the last line drawn through each cell; a cell shows one colour.
    private var colours: [Int?]

    init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
        dots = Array(repeating: 0, count: columns * rows)
        colours = Array(repeating: nil, count: columns * rows)
    }

    var dotColumns: Int { columns * 2 }
    var dotRows: Int { rows * 4 }

    /// The bit of each dot in a braille cell (U+2800 + bits), by [row][column] within the cell.
    private static let bits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    /// Sets the dot at `x` (0 at the left) and `y` (0 at the top); dots outside the canvas are ignored.
    mutating func set(x: Int, y: Int, colour: Int?) {
        guard (0..<dotColumns).contains(x), (0..<dotRows).contains(y) else { return }
        let cell = (y / 4) * columns + x / 2
        dots[cell] |= Self.bits[y % 4][x % 2]
        colours[cell] = colour
    }

    /// A straight line between two dots, one dot per step along its longer side.
    mutating func line(from start: (x: Double, y: Double), to end: (x: Double, y: Double), colour: Int?) {
        let steps = max(1, Int(max(abs(end.x - start.x), abs(end.y - start.y)).rounded(.up)))
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            set(x: Int((start.x + (end.x - start.x) * t).rounded()), y: Int((start.y + (end.y - start.y) * t).rounded()), colour: colour)
        }
    }

    /// One row of cells as text; `ansi` maps a colour to its escape code (nil: no colours).
    func row(_ row: Int, ansi: ((Int) -> String)?) -> String {
        var text = ""
        var current: Int?
        for column in 0..<columns {
            let cell = row * columns + column
            if let ansi, dots[cell] != 0, let colour = colours[cell], colour != current {
                text += ansi(colour)
                current = colour
            }
            text.unicodeScalars.append(Unicode.Scalar(0x2800 + UInt32(dots[cell]))!)
        }
        if current != nil { text += "\u{1B}[0m" }
        return text
    }
}

/// The loss chart drawn with braille characters: the smoothed training loss and the validation
/// loss above, the learning rate below, with y-axis labels and the step range.
struct TerminalChart {
    var runs: [LossCurves]
    /// Characters per line; every line of the chart fits.
    var width: Int
    /// Whether to colour the lines with ANSI escapes (a terminal that has not asked for NO_COLOR).
    var colour: Bool
    var lossRows = 14
    var rateRows = 4

    /// Bright blue, yellow, green, red, magenta, cyan: readable on dark and light backgrounds.
    static let ansiColours = [94, 93, 92, 91, 95, 96]

    func render() -> String {
        let lower = LossCurves.lowerPanel(of: runs)
        let allPoints = runs.flatMap { $0.smoothedLoss + $0.validationLoss } + lower.series.flatMap { $0 }
        let steps = ChartAxis(covering: allPoints.map(\.x), fromZero: true, tickCount: 5, minimumSpacing: 1, margin: 0, roundedOut: false)
        let loss = ChartAxis(covering: runs.flatMap { $0.smoothedLoss + $0.validationLoss }.map(\.y), tickCount: 5)
        let rate = ChartAxis(covering: lower.series.flatMap { $0 }.map(\.y), fromZero: true, tickCount: 2)
        let labelWidth = (loss.ticks.map(loss.label) + rate.ticks.map(rate.label)).map(\.count).max() ?? 1
        // Room for the labels, " ┤", and at least a few cells of chart.
        let columns = max(8, width - labelWidth - 2)

        var lines: [String] = []
        lines.append(Self.fit(LossCurves.title(of: runs), width))
        if runs.count == 1, !runs[0].summary.isEmpty { lines.append(Self.fit(runs[0].summary, width)) }

        var lossCanvas = BrailleCanvas(columns: columns, rows: lossRows)
        for (index, run) in runs.enumerated() {
            draw(run.smoothedLoss, on: &lossCanvas, x: steps, y: loss, colour: lineColour(index))
            draw(run.validationLoss, on: &lossCanvas, x: steps, y: loss, colour: validationColour(index))
        }
        lines += panel(lossCanvas, y: loss, labelWidth: labelWidth)
        lines += xAxis(steps, columns: columns, labelWidth: labelWidth)
        lines += legend()

        var rateCanvas = BrailleCanvas(columns: columns, rows: rateRows)
        for (index, series) in lower.series.enumerated() {
            draw(series, on: &rateCanvas, x: steps, y: rate, colour: lineColour(index))
        }
        lines.append(Self.fit(lower.title, width))
        lines += panel(rateCanvas, y: rate, labelWidth: labelWidth)
        lines += xAxis(steps, columns: columns, labelWidth: labelWidth)
        return lines.joined(separator: "\n") + "\n"
    }

    private func lineColour(_ run: Int) -> Int { run % Self.ansiColours.count }

    /// With one run, validation gets a colour of its own; with several, each run keeps its colour.
    private func validationColour(_ run: Int) -> Int { runs.count == 1 ? 1 : lineColour(run) }

    private func draw(_ points: [ChartPoint], on canvas: inout BrailleCanvas, x: ChartAxis, y: ChartAxis, colour: Int) {
        let dots = points.map { point in
            (x: x.fraction(point.x) * Double(canvas.dotColumns - 1), y: (1 - y.fraction(point.y)) * Double(canvas.dotRows - 1))
        }
        guard let first = dots.first else { return }
        canvas.line(from: first, to: first, colour: colour)
        for (start, end) in zip(dots, dots.dropFirst()) { canvas.line(from: start, to: end, colour: colour) }
    }

    /// The canvas with the y axis on its left: a label on the row of each tick.
    private func panel(_ canvas: BrailleCanvas, y: ChartAxis, labelWidth: Int) -> [String] {
        var labels: [Int: String] = [:]
        for tick in y.ticks {
            let row = Int(((1 - y.fraction(tick)) * Double(canvas.dotRows - 1)).rounded()) / 4
            if labels[row] == nil { labels[row] = y.label(tick) }
        }
        let ansi: ((Int) -> String)? = colour ? { "\u{1B}[\(Self.ansiColours[$0])m" } : nil
        return (0..<canvas.rows).map { row in
            let label = labels[row].map { Self.padded($0, labelWidth) + " ┤" } ?? String(repeating: " ", count: labelWidth) + " │"
            return label + canvas.row(row, ansi: ansi)
        }
    }

    /// The axis line, then the labels: the last step at the right end, round steps under their
    /// columns where they fit without touching, and "step" (or "epoch") under the y labels.
    private func xAxis(_ axis: ChartAxis, columns: Int, labelWidth: Int) -> [String] {
        let indent = labelWidth + 2  // where the canvas begins
        var labels = [Character](repeating: " ", count: indent + columns)
        let end = Array(axis.label(axis.upper))
        labels.replaceSubrange((labels.count - end.count)..<labels.count, with: end)
        let endStart = labels.count - end.count
        var free = indent - 1
        for tick in axis.ticks {
            let label = Array(axis.label(tick))
            let centre = indent + Int((axis.fraction(tick) * Double(columns - 1)).rounded())
            let start = max(centre - label.count / 2, free)
            guard start + label.count < endStart else { break }
            labels.replaceSubrange(start..<(start + label.count), with: label)
            free = start + label.count + 1
        }
        let caption = Array(LossCurves.xLabel(of: runs))
        if caption.count < labelWidth { labels.replaceSubrange((labelWidth - caption.count)..<labelWidth, with: caption) }
        let axisLine = String(repeating: " ", count: labelWidth + 1) + "└" + String(repeating: "─", count: columns)
        return [axisLine, String(labels)]
    }

    /// What each line is, wrapped to the width: the runs by file name when there are several.
    private func legend() -> [String] {
        var entries: [(text: String, colour: Int?)] = []
        if runs.count == 1 {
            entries = [("smoothed training loss", lineColour(0))]
            if !runs[0].validationLoss.isEmpty { entries.append(("validation loss", validationColour(0))) }
        } else {
            entries = runs.enumerated().map { ("\($1.name)", lineColour($0)) }
            entries.append(("(smoothed training loss and validation loss)", nil))
        }
        var lines: [String] = [], line = "", lineLength = 0
        for entry in entries {
            let mark = entry.colour == nil ? "" : "━━ "
            let length = mark.count + entry.text.count
            if lineLength > 0 && lineLength + 3 + length > width {
                lines.append(line)
                line = ""
                lineLength = 0
            }
            if lineLength > 0 { line += "   "; lineLength += 3 }
            if let index = entry.colour, colour {
                line += "\u{1B}[\(Self.ansiColours[index])m\(mark)\u{1B}[0m"
            } else {
                line += mark
            }
            line += Self.fit(entry.text, width - mark.count)
            lineLength += min(length, width)
        }
        if lineLength > 0 { lines.append(line) }
        return lines
    }

    static func padded(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `text` cut to `width` characters, ending in "…" when cut.
    static func fit(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(0, width - 1))) + "…"
    }
}
