import ArgumentParser
import Foundation
import LSTMChat

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the loss curves of training runs, as SVG or in the terminal.",
        discussion: """
        Reads the loss logs that training writes (CSV, one row per step) and draws the training \
        loss, raw and smoothed, the validation loss at the end of each epoch, and the learning \
        rate on a panel below. Several logs are overlaid, one colour per run.

        Any CSV with a header naming a loss column and a step or epoch column will do, its \
        columns in any order: Keras' CSVLogger (epoch,loss,val_loss,...), the PyTorch trainer's \
        log, a log cut by hand. val_loss and lr (or learning_rate) are drawn when present; other \
        columns are ignored. The panel below shows what the model learned when the log has it \
        (exact_match of a chatbot; val_bits_per_char or val_perplexity of a language model), \
        else the learning rate.

        Where the chart goes:
          -o FILE.svg   an SVG file; -o - writes the SVG to standard output.
          --terminal    the terminal, in braille characters, $COLUMNS wide (else the
                        terminal's width, else 80).
          neither       the terminal when standard output is one; otherwise an SVG
                        beside the first log (runs/loss.csv gives runs/loss.svg),
                        named on standard error.

        Examples:
          lstmchat plot checkpoints/loss.csv
          lstmchat plot runs/small/loss.csv runs/large/loss.csv -o compare.svg
        """
    )

    @Argument(help: ArgumentHelp("The loss logs to draw; several are overlaid.", valueName: "log.csv"))
    var logs: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the chart as SVG to this file ('-' for standard output).", valueName: "file.svg"))
    var output: String?

    @Flag(help: "Draw the chart in the terminal with braille characters.")
    var terminal = false

    func validate() throws {
        if terminal && output == "-" { throw ValidationError("--terminal and -o - both write to standard output; choose one.") }
    }

    func run() throws {
        let runs = try readRuns()
        let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
        let drawsInTerminal = terminal || (output == nil && stdoutIsTerminal)
        if drawsInTerminal {
            let chart = TerminalChart(runs: runs, width: Self.terminalWidth(), colour: stdoutIsTerminal && Self.coloursWanted())
            print(chart.render(), terminator: "")
        }
        if let output {
            try write(SVGChart(runs: runs).render(), to: output)
        } else if !drawsInTerminal {
            // Standard output is a file or a pipe, and nobody named the chart: put it beside the log.
            let path = URL(fileURLWithPath: logs[0]).deletingPathExtension().appendingPathExtension("svg").relativePath
            try write(SVGChart(runs: runs).render(), to: path)
            Terminal.standardError("lstmchat: wrote \(path)")
        }
    }

    /// Each log's rows, labelled by file name, or by the path as given when two names are the same.
    private func readRuns() throws -> [LossCurves] {
        let names = logs.map { URL(fileURLWithPath: $0).lastPathComponent }
        return try zip(logs, names).map { path, name in
            let rows = try LossLog.read(URL(fileURLWithPath: path))
            return LossCurves(name: names.filter { $0 == name }.count > 1 ? path : name, rows: rows)
        }
    }

    private func write(_ svg: String, to path: String) throws {
        if path == "-" {
            print(svg, terminator: "")
            return
        }
        guard let file = fopen(path, "w") else { throw CommandFailure("\(path): cannot write: \(String(cString: strerror(errno)))") }
        let written = fputs(svg, file) >= 0
        if fclose(file) != 0 || !written { throw CommandFailure("\(path): cannot write: \(String(cString: strerror(errno)))") }
    }

    /// `$COLUMNS`, else the terminal's own width, else 80.
    static func terminalWidth() -> Int {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// Colours unless the user asked for none (https://no-color.org) or the terminal cannot show them.
    static func coloursWanted() -> Bool {
        let environment = ProcessInfo.processInfo.environment
        return (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }
}
