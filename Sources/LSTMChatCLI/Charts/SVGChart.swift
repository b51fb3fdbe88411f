import Foundation

/// The loss chart as an SVG document: the training loss (faint raw, bold smoothed) and the
/// validation loss on the upper panel, the learning rate on a narrower panel below, one
/// colour per run.
struct SVGChart {
    var runs: [LossCurves]

    static let width = 960.0, height = 640.0
    static let plotLeft = 84.0, plotRight = width - 28
    static let lossTop = 76.0, lossBottom = 420.0
    static let rateTop = 462.0, rateBottom = 574.0
    /// Colours that stay apart for the colour-blind and on paper (Tableau 10).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let font = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""

    /// A panel: where it sits on the page and the data ranges it shows.
    struct Panel {
        var top: Double, bottom: Double
        var x: ChartAxis, y: ChartAxis

        func point(_ p: ChartPoint) -> (Double, Double) {
            (SVGChart.plotLeft + x.fraction(p.x) * (SVGChart.plotRight - SVGChart.plotLeft),
             bottom - y.fraction(p.y) * (bottom - top))
        }
    }

    func render() -> String {
        let lower = LossCurves.lowerPanel(of: runs)
        let allPoints = runs.flatMap { $0.loss + $0.validationLoss } + lower.series.flatMap { $0 }
        let steps = ChartAxis(covering: allPoints.map(\.x), fromZero: true, tickCount: 8, minimumSpacing: 1, margin: 0, roundedOut: false)
        let lossValues = runs.flatMap { $0.loss + $0.smoothedLoss + $0.validationLoss }.map(\.y)
        let loss = Panel(top: Self.lossTop, bottom: Self.lossBottom,
                         x: steps, y: ChartAxis(covering: lossValues, tickCount: 6))
        let rate = Panel(top: Self.rateTop, bottom: Self.rateBottom,
                         x: steps, y: ChartAxis(covering: lower.series.flatMap { $0 }.map(\.y), fromZero: true, tickCount: 3))

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" \
        viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" \(Self.font)>
        <rect width="100%" height="100%" fill="white"/>

        """
        svg += text(LossCurves.title(of: runs), x: Self.plotLeft, y: 34, size: 20, extra: "font-weight=\"bold\" fill=\"#222\"")
        var subtitle = runs.count == 1 ? runs[0].summary : ""
        if runs.count > 1, let best = runs.filter({ $0.bestValidationLoss != nil }).min(by: { $0.bestValidationLoss! < $1.bestValidationLoss! }) {
            subtitle = "lowest validation loss " + String(format: "%.3f", best.bestValidationLoss!) + " in " + best.name
        }
        svg += text(subtitle, x: Self.plotLeft, y: 56, size: 13, extra: "fill=\"#666\"")

        svg += frame(loss, yTitle: "loss")
        svg += frame(rate, yTitle: lower.title)
        svg += text(LossCurves.xLabel(of: runs), x: (Self.plotLeft + Self.plotRight) / 2, y: Self.rateBottom + 52, size: 14,
                    extra: "text-anchor=\"middle\" fill=\"#333\"")

        // No clipping: the axes cover every point, and a clip would halve the dots on the border.
        let lines = "<g fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n"
        svg += lines
        for (index, run) in runs.enumerated() {
            // Fainter when several runs' noise overlaps.
            svg += polyline(run.loss, in: loss, colour: colour(index), width: 1, extra: "stroke-opacity=\"\(runs.count == 1 ? 0.28 : 0.18)\"")
            svg += polyline(run.smoothedLoss, in: loss, colour: colour(index), width: 2.25)
        }
        for (index, run) in runs.enumerated() {
            svg += polyline(run.validationLoss, in: loss, colour: validationColour(index), width: 1.75, extra: "stroke-dasharray=\"6 4\"")
            for point in run.validationLoss {
                let (x, y) = loss.point(point)
                svg += marker(x: x, y: y, colour: validationColour(index))
            }
        }
        svg += "</g>\n" + lines
        for (index, series) in lower.series.enumerated() {
            svg += polyline(series, in: rate, colour: colour(index), width: 1.75)
        }
        svg += "</g>\n"
        svg += legend()
        svg += "</svg>\n"
        return svg
    }

    private func colour(_ run: Int) -> String { Self.palette[run % Self.palette.count] }

    /// With one run, validation gets a colour of its own; with several, each run keeps its colour.
    private func validationColour(_ run: Int) -> String { runs.count == 1 ? Self.palette[1] : colour(run) }

    /// The panel's grid, ticks, tick labels and border, and its y-axis title.
    private func frame(_ panel: Panel, yTitle: String) -> String {
        let left = Self.plotLeft, right = Self.plotRight
        var svg = "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        for tick in panel.y.ticks {
            let y = Self.number(panel.point(ChartPoint(x: 0, y: tick)).1)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(right)\" y2=\"\(y)\"/>\n"
        }
        for tick in panel.x.ticks {
            let x = Self.number(panel.point(ChartPoint(x: tick, y: 0)).0)
            svg += "<line x1=\"\(x)\" y1=\"\(panel.top)\" x2=\"\(x)\" y2=\"\(panel.bottom)\"/>\n"
        }
        svg += "</g>\n"
        svg += "<rect x=\"\(left)\" y=\"\(panel.top)\" width=\"\(right - left)\" height=\"\(panel.bottom - panel.top)\" " +
            "fill=\"none\" stroke=\"#999\" stroke-width=\"1\"/>\n"
        for tick in panel.y.ticks {
            let y = panel.point(ChartPoint(x: 0, y: tick)).1
            svg += text(panel.y.label(tick), x: left - 8, y: y + 4, size: 12, extra: "text-anchor=\"end\" fill=\"#444\"")
        }
        for tick in panel.x.ticks {
            let x = panel.point(ChartPoint(x: tick, y: 0)).0
            svg += text(panel.x.label(tick), x: x, y: panel.bottom + 18, size: 12, extra: "text-anchor=\"middle\" fill=\"#444\"")
        }
        let middle = Self.number((panel.top + panel.bottom) / 2)
        svg += "<text x=\"0\" y=\"0\" font-size=\"14\" fill=\"#333\" text-anchor=\"middle\" " +
            "transform=\"translate(24 \(middle)) rotate(-90)\">\(Self.escaped(yTitle))</text>\n"
        return svg
    }

    /// The key in the loss panel's top right corner: the runs by file name when there are
    /// several, then what each kind of line means.
    private func legend() -> String {
        struct Entry { var label: String; var colour: String; var style: String; var marker: Bool }
        let line = "stroke-width=\"2.25\""
        var entries: [Entry] = []
        if runs.count > 1 {
            for (index, run) in runs.enumerated() {
                let best = run.bestValidationLoss.map { String(format: " · best validation %.3f", $0) } ?? ""
                entries.append(Entry(label: Self.shortened(run.name) + best, colour: colour(index), style: line, marker: false))
            }
        }
        let keyColour = runs.count == 1 ? Self.palette[0] : "#555"
        let window = runs.map(\.smoothingWindow).max() ?? 1
        // Unsmoothed (too few steps), the training loss is the bold line.
        let trainingStyle = window > 1 ? "stroke-opacity=\"0.35\" stroke-width=\"1.5\"" : line
        entries.append(Entry(label: "training loss", colour: keyColour, style: trainingStyle, marker: false))
        if window > 1 {
            let label = runs.count == 1 ? "smoothed (\(window)-step moving average)" : "smoothed (moving average)"
            entries.append(Entry(label: label, colour: keyColour, style: line, marker: false))
        }
        if runs.contains(where: { !$0.validationLoss.isEmpty }) {
            entries.append(Entry(label: "validation loss", colour: runs.count == 1 ? validationColour(0) : "#555",
                                 style: "stroke-width=\"1.75\" stroke-dasharray=\"6 4\"", marker: true))
        }

        let rowHeight = 20.0, padding = 10.0
        // Wide enough for the longest label at about 7 pixels a character (12-pixel sans-serif).
        let width = 48 + 7.0 * Double(entries.map(\.label.count).max() ?? 0)
        let height = padding * 2 + rowHeight * Double(entries.count) - 4
        let left = Self.plotRight - width - 10, top = Self.lossTop + 10
        var svg = "<g>\n<rect x=\"\(Self.number(left))\" y=\"\(top)\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" " +
            "rx=\"4\" fill=\"white\" fill-opacity=\"0.88\" stroke=\"#ccc\"/>\n"
        for (row, entry) in entries.enumerated() {
            let y = top + padding + 8 + rowHeight * Double(row)
            let x = Self.number(left + padding)
            svg += "<line x1=\"\(x)\" y1=\"\(Self.number(y))\" x2=\"\(Self.number(left + padding + 26))\" y2=\"\(Self.number(y))\" " +
                "stroke=\"\(entry.colour)\" \(entry.style)/>\n"
            if entry.marker { svg += marker(x: left + padding + 13, y: y, colour: entry.colour) }
            svg += text(entry.label, x: left + padding + 34, y: y + 4, size: 12, extra: "fill=\"#333\"")
        }
        return svg + "</g>\n"
    }

    private func marker(x: Double, y: Double, colour: String) -> String {
        "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"4\" fill=\"\(colour)\" stroke=\"white\" stroke-width=\"1.5\"/>\n"
    }

    private func polyline(_ points: [ChartPoint], in panel: Panel, colour: String, width: Double, extra: String = "") -> String {
        guard !points.isEmpty else { return "" }
        if points.count == 1 {
            // A line needs two points; one is drawn as a dot that can be seen.
            let (x, y) = panel.point(points[0])
            return "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(width + 1.5))\" fill=\"\(colour)\"/>\n"
        }
        let coordinates = points.map { point -> String in
            let (x, y) = panel.point(point)
            return "\(Self.number(x)),\(Self.number(y))"
        }
        return "<polyline points=\"\(coordinates.joined(separator: " "))\" stroke=\"\(colour)\" stroke-width=\"\(width)\" \(extra)/>\n"
    }

    private func text(_ content: String, x: Double, y: Double, size: Int, extra: String) -> String {
        "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(size)\" \(extra)>\(Self.escaped(content))</text>\n"
    }

    /// A long path cut at its start, where paths of runs side by side tend to agree.
    static func shortened(_ name: String, to length: Int = 40) -> String {
        name.count <= length ? name : "…" + name.suffix(length - 1)
    }

    /// A coordinate to a tenth of a pixel: finer than any screen, and short.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
