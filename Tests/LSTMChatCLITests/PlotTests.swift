import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LSTMChat
import Testing
@testable import LSTMChatCLI

/// Loss logs that look like real training, written where a test wants them.
enum SampleLog {
    static let header = LossLog.header

    /// `epochs` epochs of `stepsPerEpoch` steps: the loss falls from about ln(10 000) ≈ 9.2 towards
    /// 3 with noise, the learning rate warms up then halves each epoch, and each epoch ends with
    /// a validation.
    static func rows(epochs: Int = 3, stepsPerEpoch: Int = 400, seed: UInt64 = 1) -> [LossLogRow] {
        var random = Xoshiro256(seed: seed)
        return (1...(epochs * stepsPerEpoch)).map { step in
            let epoch = (step - 1) / stepsPerEpoch + 1
            let trend = 3.1 + 6.1 * exp(-Double(step) / 60) + 1.2 * exp(-Double(step) / 500)
            let noise = Double.random(in: -0.1...0.1, using: &random)
            let endsEpoch = step % stepsPerEpoch == 0
            return LossLogRow(step: step, epoch: epoch, loss: Float(trend * (1 + noise)),
                              learningRate: Float(0.001 * min(1, Double(step) / 100) * pow(0.5, Double(epoch - 1))),
                              gradientNorm: Float(1.5 + noise), tokensPerSecond: 10_500,
                              validationLoss: endsEpoch ? Float(trend + 0.35) : nil,
                              validationAccuracy: endsEpoch ? Float(0.18 + 0.07 * Double(epoch)) : nil,
                              elapsedSeconds: 0.36 * Double(step))
        }
    }

    static func write(_ rows: [LossLogRow], to url: URL) throws {
        let writer = try LossLogWriter(appendingTo: url)
        for row in rows { try writer.append(row) }
    }

    static func curves(_ rows: [LossLogRow] = rows(), name: String = "run.csv") -> LossCurves {
        LossCurves(name: name, rows: rows)
    }
}

/// The elements and the text of each <text> element of an XML document, if it parses.
final class XMLOutline: NSObject, XMLParserDelegate {
    var elements: [String] = []
    var texts: [String] = []
    var error: Error?
    private var inText = false

    init(_ text: String) {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError ?? CocoaError(.fileReadCorruptFile) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(name)
        if name == "text" { texts.append(""); inText = true }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { inText = false }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func count(_ element: String) -> Int { elements.filter { $0 == element }.count }
}

@Suite struct ChartAxisTests {
    @Test(arguments: [
        ([2.9, 11.1], false),
        ([0.00001, 0.001], true),
        ([1, 1_200], true),
        ([-3.5, 0.25], false),
        ([17], false),
        ([0], true),
        ([], false),
        ([4.2, .nan, .infinity, 5.1], false),
        ([1e-7, 3e-7], false),
    ] as [([Double], Bool)])
    func ticksAreRoundAndCoverTheValues(values: [Double], fromZero: Bool) {
        let axis = ChartAxis(covering: values, fromZero: fromZero)
        let finite = values.filter(\.isFinite)
        #expect(axis.lower < axis.upper)
        #expect(finite.allSatisfy { axis.lower <= $0 && $0 <= axis.upper })
        #expect(axis.ticks.count >= 2 && axis.ticks.count <= 12)
        #expect(axis.ticks.first == axis.lower && axis.ticks.last == axis.upper)
        let mantissa = axis.tickSpacing / pow(10, log10(axis.tickSpacing).rounded(.down))
        #expect([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "spacing \(axis.tickSpacing)")
        if fromZero && finite.allSatisfy({ $0 >= 0 }) { #expect(axis.lower == 0) }
    }

    /// A loss that falls to near zero: the margin below it used to round the axis out to −1.
    @Test func nonNegativeValuesNeverGetANegativeAxis() {
        #expect(ChartAxis(covering: [0.02, 5.9]).lower == 0)
        #expect(ChartAxis(covering: [-0.02, 5.9]).lower < 0)
    }

    @Test func lossFromElevenDownToThreeGetsEvenTicks() {
        #expect(ChartAxis(covering: [2.9, 11.1], tickCount: 6).ticks == [2, 4, 6, 8, 10, 12])
    }

    @Test func anAxisNotRoundedOutEndsAtTheLastStep() {
        let axis = ChartAxis(covering: [1, 1_234], fromZero: true, tickCount: 8, minimumSpacing: 1, margin: 0, roundedOut: false)
        #expect(axis.lower == 0 && axis.upper == 1_234)
        #expect(axis.ticks == [0, 200, 400, 600, 800, 1_000, 1_200])
    }

    @Test func stepTicksAreWholeEvenForOneStep() {
        let axis = ChartAxis(covering: [1], fromZero: true, minimumSpacing: 1, margin: 0, roundedOut: false)
        #expect(axis.ticks == [0, 1])
    }

    @Test(arguments: [
        ([0, 0.0015], 0.0005, "0.0005"),
        ([2, 12], 6.0, "6"),
        ([2.5, 3.5], 2.8, "2.8"),
        ([0, 300_000], 150_000.0, "150k"),
        ([0, 2_000_000], 1_500_000.0, "1.5M"),
        ([0, 1_200], 1_000.0, "1000"),
        ([-1, 1], 0.0, "0"),
    ] as [([Double], Double, String)])
    func labelsShowTheDigitsTheSpacingNeeds(range: [Double], value: Double, label: String) {
        #expect(ChartAxis(covering: range, margin: 0).label(value) == label)
    }
}

@Suite struct LossCurvesTests {
    @Test func nonFiniteValuesAreLeftOut() {
        let rows = [
            LossLogRow(step: 1, epoch: 1, loss: .nan, learningRate: 0.001, gradientNorm: 1, tokensPerSecond: 1, elapsedSeconds: 1),
            LossLogRow(step: 2, epoch: 1, loss: 4, learningRate: .infinity, gradientNorm: 1, tokensPerSecond: 1,
                       validationLoss: -.infinity, elapsedSeconds: 2),
            LossLogRow(step: 3, epoch: 1, loss: 3, learningRate: 0.001, gradientNorm: 1, tokensPerSecond: 1,
                       validationLoss: 3.5, validationAccuracy: 0.2, elapsedSeconds: 3),
        ]
        let curves = LossCurves(name: "nan.csv", rows: rows)
        #expect(curves.loss.map(\.x) == [2, 3])
        #expect(curves.learningRate.map(\.x) == [1, 3])
        #expect(curves.validationLoss == [ChartPoint(x: 3, y: 3.5)])
    }

    @Test func hugeLogsAreThinnedButKeepTheirSpikes() {
        var rows = SampleLog.rows(epochs: 3, stepsPerEpoch: 100_000)
        rows[123_456].loss = 50
        let curves = LossCurves(name: "huge.csv", rows: rows)
        for series in [curves.loss, curves.smoothedLoss, curves.learningRate] {
            #expect(series.count <= LossCurves.maxPoints)
            #expect(series.first?.x == 1)
        }
        #expect(curves.loss.contains(ChartPoint(x: 123_457, y: 50)))
        #expect(zip(curves.loss, curves.loss.dropFirst()).allSatisfy { $0.x < $1.x })
    }

    @Test func smoothingLeavesAConstantAloneAndFollowsATrend() {
        let constant = (1...500).map { ChartPoint(x: Double($0), y: 2.5) }
        #expect(LossCurves.centredMovingAverage(constant, window: 11).allSatisfy { abs($0.y - 2.5) < 1e-12 })
        let line = (0..<100).map { ChartPoint(x: Double($0), y: Double($0)) }
        // Centred, a straight line stays where it is away from the ends.
        #expect(LossCurves.centredMovingAverage(line, window: 11)[50].y == 50)
    }

    @Test func summaryNamesStepsEpochsTimeAndTheBestValidation() {
        #expect(SampleLog.curves().summary == "1,200 steps · 3 epochs · 7m 12s · best validation loss 3.559 (accuracy 39.0%) at epoch 3")
    }

    /// A character model's log: its validation bits per character take the lower panel (what it
    /// learned, rather than the learning rate's schedule) and the summary.
    @Test func aLanguageModelsBitsPerCharacterAreDrawnBelowAndSummed() throws {
        let rows = SampleLog.rows().map { row -> LossLogRow in
            var row = row
            row.validationBitsPerCharacter = row.validationLoss.map { $0 / Float(M_LN2) }
            return row
        }
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("lm.csv")
        let writer = try LossLogWriter(appendingTo: url, adding: [.validationBitsPerCharacter])
        for row in rows { try writer.append(row) }
        let curves = LossCurves(name: "lm.csv", rows: try LossLog.read(url))
        let lower = LossCurves.lowerPanel(of: [curves])
        #expect(lower.title == "val. bits per char")
        #expect(lower.series == [[400, 800, 1200].map { x in ChartPoint(x: Double(x), y: Double(rows[x - 1].validationBitsPerCharacter!)) }])
        #expect(curves.summary == "1,200 steps · 3 epochs · 7m 12s · best validation loss 3.559 (5.134 bits per character, accuracy 39.0%) at epoch 3")
        let outline = XMLOutline(SVGChart(runs: [curves]).render())
        #expect(outline.error == nil && outline.texts.contains("val. bits per char") && !outline.texts.contains("learning rate"))
    }
}

@Suite struct SVGChartTests {
    static let logs: [(String, [LossCurves])] = [
        ("three epochs", [SampleLog.curves()]),
        ("two runs", [SampleLog.curves(name: "small.csv"), SampleLog.curves(SampleLog.rows(seed: 2), name: "large & <new>.csv")]),
        ("one row", [SampleLog.curves(Array(SampleLog.rows().prefix(1)))]),
        ("constant", [SampleLog.curves((1...50).map {
            LossLogRow(step: $0, epoch: 1, loss: 2.5, learningRate: 0.001, gradientNorm: 1, tokensPerSecond: 1, elapsedSeconds: 1)
        })]),
        ("all NaN", [SampleLog.curves((1...5).map {
            LossLogRow(step: $0, epoch: 1, loss: .nan, learningRate: .nan, gradientNorm: .nan, tokensPerSecond: 1, elapsedSeconds: 1)
        })]),
    ]

    @Test(arguments: logs.map(\.0))
    func chartIsWellFormedSVG(_ name: String) throws {
        let runs = try #require(Self.logs.first { $0.0 == name }?.1)
        let outline = XMLOutline(SVGChart(runs: runs).render())
        #expect(outline.error == nil)
        #expect(outline.elements.first == "svg")
        for label in ["step", "loss", "learning rate"] { #expect(outline.texts.contains(label)) }
        #expect(outline.texts.contains { $0.hasPrefix("Training loss — ") })
        #expect(!outline.texts.contains { $0.contains("nan") || $0.contains("inf") })
    }

    @Test func severalRunsAreNamedInTheLegendOneColourEach() throws {
        let runs = [SampleLog.curves(name: "small.csv"), SampleLog.curves(SampleLog.rows(seed: 2), name: "large & <new>.csv")]
        let svg = SVGChart(runs: runs).render()
        let outline = XMLOutline(svg)
        #expect(outline.texts.contains("small.csv · best validation 3.559"))
        #expect(outline.texts.contains("large & <new>.csv · best validation 3.559"))
        #expect(outline.texts.contains("lowest validation loss 3.559 in small.csv"))
        #expect(svg.contains("stroke=\"\(SVGChart.palette[0])\"") && svg.contains("stroke=\"\(SVGChart.palette[1])\""))
    }

    @Test func aSingleRowIsDrawnAsDots() {
        let outline = XMLOutline(SVGChart(runs: [SampleLog.curves(Array(SampleLog.rows().prefix(1)))]).render())
        #expect(outline.count("polyline") == 0)
        // Training loss, its smoothed twin and the learning rate.
        #expect(outline.count("circle") == 3)
    }

    @Test func longRunNamesAreCutAtTheirStart() {
        #expect(SVGChart.shortened("checkpoints/2026-11-24/large-hidden-512/loss.csv", to: 20) == "…hidden-512/loss.csv")
    }

    @Test func chartHasRawSmoothedValidationAndLearningRateLines() {
        let outline = XMLOutline(SVGChart(runs: [SampleLog.curves()]).render())
        // Raw and smoothed loss, validation, learning rate.
        #expect(outline.count("polyline") == 4)
        // Three validation markers and the legend's.
        #expect(outline.count("circle") == 4)
        #expect(outline.texts.contains("smoothed (25-step moving average)"))
    }

    static let rsvgConvert = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: rsvgConvert != nil, "rsvg-convert is not installed (Debian: apt-get install librsvg2-bin; `make test` does)"))
    func rsvgRendersTheChartToPNG() throws {
        let dir = try TemporaryDirectory()
        let svg = dir.url.appendingPathComponent("loss.svg"), png = dir.url.appendingPathComponent("loss.png")
        try SVGChart(runs: [SampleLog.curves()]).render().write(to: svg, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.rsvgConvert))
        process.arguments = [svg.path, "-o", png.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "rsvg-convert: \(message)")
        #expect(message.isEmpty)

        let bytes = [UInt8](try Data(contentsOf: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // The IHDR chunk: width and height, big-endian, at bytes 16 and 20.
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 960 && height == 640)
    }
}

@Suite struct TerminalChartTests {
    static func isBraille(_ scalar: Unicode.Scalar) -> Bool { (0x2801...0x28FF).contains(scalar.value) }

    @Test(arguments: [40, 80, 123])
    func everyLineFitsTheWidthAndTheChartFillsIt(width: Int) {
        let lines = TerminalChart(runs: [SampleLog.curves()], width: width, colour: false).render()
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.allSatisfy { $0.count <= width })
        let chartLines = lines.filter { $0.unicodeScalars.contains(where: { (0x2800...0x28FF).contains($0.value) }) }
        #expect(chartLines.count == 14 + 4)
        #expect(chartLines.allSatisfy { $0.count == width })
        #expect(lines.contains { $0.unicodeScalars.contains(where: Self.isBraille) })
    }

    @Test func axesAreLabelledWithLossLearningRateAndTheStepRange() {
        let text = TerminalChart(runs: [SampleLog.curves()], width: 80, colour: false).render()
        #expect(text.hasPrefix("Training loss — run.csv\n"))
        #expect(text.contains("   12 ┤") && text.contains("    2 ┤"))
        #expect(text.contains("0.001 ┤"))
        #expect(text.contains(" step  0 "))
        #expect(text.contains { $0 == "└" })
        #expect(text.split(separator: "\n").contains { $0.hasSuffix(" 1200") })
    }

    @Test func coloursOnlyWhenAsked() {
        let runs = [SampleLog.curves(name: "a.csv"), SampleLog.curves(SampleLog.rows(seed: 2), name: "b.csv")]
        #expect(TerminalChart(runs: runs, width: 80, colour: true).render().contains("\u{1B}[94m"))
        #expect(!TerminalChart(runs: runs, width: 80, colour: false).render().contains("\u{1B}"))
        #expect(TerminalChart(runs: runs, width: 80, colour: false).render().contains("━━ a.csv   ━━ b.csv"))
    }

    @Test func aNarrowTerminalStillGetsAChart() {
        let lines = TerminalChart(runs: [SampleLog.curves()], width: 12, colour: false).render().split(separator: "\n")
        #expect(lines.contains { $0.unicodeScalars.contains(where: Self.isBraille) })
    }
}

/// `lstmchat plot` run as a user would, through pipes.
@Suite struct PlotCommandTests {
    /// A directory holding `run.csv`, a sample log of three epochs.
    static func directoryWithLog() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try SampleLog.write(SampleLog.rows(), to: dir.url.appendingPathComponent("run.csv"))
        return dir
    }

    @Test func writesTheSVGNamedByOutput() throws {
        let dir = try Self.directoryWithLog()
        let result = try LSTMChatBinary.run(["plot", "run.csv", "-o", "loss.svg"], in: dir.url)
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
        let svg = try String(contentsOf: dir.url.appendingPathComponent("loss.svg"), encoding: .utf8)
        #expect(XMLOutline(svg).error == nil)
    }

    @Test func dashWritesTheSVGToStandardOutput() throws {
        let dir = try Self.directoryWithLog()
        let result = try LSTMChatBinary.run(["plot", "run.csv", "-o", "-"], in: dir.url)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("<?xml"))
        #expect(XMLOutline(result.stdout).error == nil)
    }

    @Test func withoutOutputOrTerminalTheSVGGoesBesideTheFirstLog() throws {
        let dir = try Self.directoryWithLog()
        try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("runs"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: dir.url.appendingPathComponent("run.csv"), to: dir.url.appendingPathComponent("runs/run.csv"))
        let result = try LSTMChatBinary.run(["plot", "runs/run.csv"], in: dir.url)
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "lstmchat: wrote runs/run.svg\n")
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("runs/run.svg").path))
    }

    @Test func overlaysSeveralLogsNamedByTheirPathsWhenTheirNamesAreTheSame() throws {
        let dir = try TemporaryDirectory()
        for (name, seed) in [("a", 1), ("b", 2)] as [(String, UInt64)] {
            try FileManager.default.createDirectory(at: dir.url.appendingPathComponent(name), withIntermediateDirectories: true)
            try SampleLog.write(SampleLog.rows(seed: seed), to: dir.url.appendingPathComponent("\(name)/loss.csv"))
        }
        let result = try LSTMChatBinary.run(["plot", "a/loss.csv", "b/loss.csv", "-o", "-"], in: dir.url)
        #expect(result.status == 0)
        let texts = XMLOutline(result.stdout).texts
        #expect(texts.contains { $0.hasPrefix("a/loss.csv · ") } && texts.contains { $0.hasPrefix("b/loss.csv · ") })
    }

    @Test func terminalDrawsBrailleAsWideAsColumns() throws {
        let dir = try Self.directoryWithLog()
        let result = try LSTMChatBinary.run(["plot", "run.csv", "--terminal"], environment: ["COLUMNS": "50"], in: dir.url)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 50 })
        #expect(lines.filter { $0.count == 50 && $0.unicodeScalars.contains(where: TerminalChartTests.isBraille) }.count > 5)
        // Not a terminal: no colour codes, and no SVG left behind.
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("run.svg").path))
    }

    @Test func terminalAndSVGOnStandardOutputAreRefusedTogether() throws {
        let dir = try Self.directoryWithLog()
        let result = try LSTMChatBinary.run(["plot", "run.csv", "--terminal", "-o", "-"], in: dir.url)
        #expect(result.status == 64)
        #expect(result.stderr.contains("--terminal and -o - both write to standard output; choose one."))
        #expect(result.stdout.isEmpty)
    }

    @Test func plotsAKerasLogAgainstEpochs() throws {
        let dir = try TemporaryDirectory()
        let rows = (0..<30).map { "\($0),\(0.5 + Double($0) / 100),\(3 - Double($0) / 20),\(3.1 - Double($0) / 25)" }
        try Data(("epoch,accuracy,loss,val_loss\n" + rows.joined(separator: "\n") + "\n").utf8)
            .write(to: dir.url.appendingPathComponent("keras.csv"))
        let result = try LSTMChatBinary.run(["plot", "keras.csv", "-o", "-"], in: dir.url)
        #expect(result.status == 0)
        let outline = XMLOutline(result.stdout)
        #expect(outline.error == nil)
        #expect(outline.texts.contains("epoch") && !outline.texts.contains("step"))
        #expect(outline.texts.contains("29 epochs · best validation loss 1.940 at epoch 29"))
        let terminal = try LSTMChatBinary.run(["plot", "keras.csv", "--terminal"], environment: ["COLUMNS": "60"], in: dir.url)
        #expect(terminal.status == 0 && terminal.stdout.contains("epoch"))
    }

    @Test func helpSaysWhereTheChartGoes() throws {
        let result = try LSTMChatBinary.run(["plot", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--terminal"))
        #expect(result.stdout.contains("-o, --output <file.svg>"))
        #expect(result.stdout.contains("beside the first log"))
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        var name: String
        var contents: String?
        var arguments: [String] = ["plot", "run.csv", "-o", "loss.svg"]
        var message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        .init(name: "missing file", contents: nil, message: "lstmchat: run.csv: no such file"),
        .init(name: "empty file", contents: "", message: "lstmchat: run.csv:1: empty file, expected a header such as \(LossLog.header)"),
        .init(name: "header only", contents: LossLog.header + "\n", message: "lstmchat: run.csv:2: no rows after the header"),
        .init(name: "short line", contents: LossLog.previousHeader + "\n1,1,9.2,0.001,1,100,,,0.5\n2,1,9.1,0.001\n",
              message: "lstmchat: run.csv:3: expected 9 columns, found 4"),
        .init(name: "not a number", contents: LossLog.previousHeader + "\n1,1,9.2,fast,1,100,,,0.5\n",
              message: "lstmchat: run.csv:2: lr: expected a number, found \"fast\""),
        .init(name: "bad row of a Keras log", contents: "epoch,loss,val_loss\n0,2.5,2.6\n1,2.4,2.5\n2,nan?,2.4\n",
              message: "lstmchat: run.csv:4: loss: expected a number, found \"nan?\""),
        .init(name: "unwritable output", contents: LossLog.previousHeader + "\n1,1,9.2,0.001,1,100,,,0.5\n",
              arguments: ["plot", "run.csv", "-o", "no/such/dir/loss.svg"],
              message: "lstmchat: no/such/dir/loss.svg: cannot write: No such file or directory"),
    ]

    @Test(arguments: badInputs)
    func badInputFailsWithOneLineNamingFileAndLine(_ input: BadInput) throws {
        let dir = try TemporaryDirectory()
        if let contents = input.contents { try Data(contents.utf8).write(to: dir.url.appendingPathComponent("run.csv")) }
        let result = try LSTMChatBinary.run(input.arguments, in: dir.url)
        #expect(result.status == 1)
        #expect(result.stderr == input.message + "\n")
        #expect(result.stdout.isEmpty)
    }
}
