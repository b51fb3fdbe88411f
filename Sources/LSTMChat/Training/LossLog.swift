import Foundation

/// One line of the loss log: the state of training after one optimizer step.
///
/// The trainer sets every field but the validation ones and the exact match, which it sets only
/// on the row that ends an epoch. Logs from elsewhere (Keras' `CSVLogger`, a hand-cut log) may lack any field
/// but the loss and one of step and epoch: those are nil.
public struct LossLogRow: Equatable, Sendable {
    public var step: Int?
    public var epoch: Int?
    public var loss: Float
    public var learningRate: Float?
    public var gradientNorm: Float?
    public var tokensPerSecond: Float?
    public var validationLoss: Float?
    public var validationAccuracy: Float?
    /// Seconds since training began (across resumes), written with millisecond precision.
    public var elapsedSeconds: Double?
    /// Greedy exact match on the training questions (`ExactMatchProbe`) after the epoch.
    public var exactMatch: Float?
    /// A language model's validation loss in the units quoted for it: bits per character for a
    /// character model (val_loss / ln 2), perplexity for a word model (e^val_loss).
    public var validationBitsPerCharacter: Float?
    public var validationPerplexity: Float?

    public init(step: Int?, epoch: Int?, loss: Float, learningRate: Float?, gradientNorm: Float?, tokensPerSecond: Float?,
                validationLoss: Float? = nil, validationAccuracy: Float? = nil, elapsedSeconds: Double?, exactMatch: Float? = nil,
                validationBitsPerCharacter: Float? = nil, validationPerplexity: Float? = nil) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.tokensPerSecond = tokensPerSecond
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.elapsedSeconds = elapsedSeconds
        self.exactMatch = exactMatch
        self.validationBitsPerCharacter = validationBitsPerCharacter
        self.validationPerplexity = validationPerplexity
    }
}

/// A problem with a loss log, as one line naming the file and, where there is one, the line:
/// `run.csv:7: expected 9 columns, found 4`.
public struct LossLogError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// The CSV file the trainer writes, one row per step:
///
///     step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s
///     1,1,9.21034,0.001,4.31,10523.4,,,0.412
///     …
///     250,1,4.0125,0.001,1.02,11210.9,4.1803,0.2311,103.998
public enum LossLog {
    public static let header = "step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s,exact_match"
    /// The header of logs written before `exact_match`: still read, and a resumed run's writer adds the column.
    public static let previousHeader = "step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s"

    /// A column some runs add after the others: a language model's validation figure in the
    /// unit quoted for it (bits per character for characters, perplexity for words).
    public enum ExtraColumn: String, CaseIterable, Sendable {
        case validationBitsPerCharacter = "val_bits_per_char"
        case validationPerplexity = "val_perplexity"

        func value(in row: LossLogRow) -> Float? {
            switch self {
            case .validationBitsPerCharacter: row.validationBitsPerCharacter
            case .validationPerplexity: row.validationPerplexity
            }
        }
    }

    /// The header of a log with `extra` columns after the usual ones.
    public static func header(adding extra: [ExtraColumn]) -> String {
        ([header] + extra.map(\.rawValue)).joined(separator: ",")
    }

    /// Reads every row of a loss log at `url`: the trainer's, or any CSV whose header names a
    /// `loss` column and a `step` or `epoch` column, in any order, with any of the trainer's other
    /// columns (`lr` may be `learning_rate`) and others, which are ignored. Blank lines are skipped.
    /// Throws a `LossLogError` at the first malformed line.
    public static func read(_ url: URL) throws -> [LossLogRow] {
        let file = url.relativePath
        let lines = splitLines(try readText(url))
        guard let first = lines.first else { throw LossLogError(file: file, line: 1, "empty file, expected a header such as \(header)") }
        let columns = try Columns(header: first, file: file)
        var rows: [LossLogRow] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.allSatisfy({ $0 == " " }) {
            rows.append(try columns.parseRow(line, file: file, line: index + 1))
        }
        if rows.isEmpty { throw LossLogError(file: file, line: 2, "no rows after the header") }
        return rows
    }

    /// The CSV line for `row` (with the `extra` columns of its log): floats in their shortest
    /// form that reads back to the same `Float`.
    public static func format(_ row: LossLogRow, adding extra: [ExtraColumn] = []) -> String {
        func number(_ value: Float?) -> String { value.map { "\($0)" } ?? "" }
        return [
            row.step.map { "\($0)" } ?? "", row.epoch.map { "\($0)" } ?? "", number(row.loss), number(row.learningRate),
            number(row.gradientNorm), number(row.tokensPerSecond), number(row.validationLoss), number(row.validationAccuracy),
            row.elapsedSeconds.map { String(format: "%.3f", $0) } ?? "", number(row.exactMatch),
        ].joined(separator: ",") + extra.map { "," + number($0.value(in: row)) }.joined()
    }

    /// The whole file as text; a missing or unreadable file is a `LossLogError`.
    static func readText(_ url: URL) throws -> String {
        let file = url.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw LossLogError(file: file, line: nil, "no such file")
        }
        guard !isDirectory.boolValue else { throw LossLogError(file: file, line: nil, "is a directory, not a loss log") }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LossLogError(file: file, line: nil, "cannot read the file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The lines of `text` without their line ends (`\n` or `\r\n`); a final line end adds no empty line.
    static func splitLines(_ text: String) -> [Substring] {
        // Split the bytes, not the Characters: much faster on long logs, where "\r\n" is one Character.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            Substring(line.last == UInt8(ascii: "\r") ? line.dropLast() : line)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Checks that a log's first line is `expected`, or the header of an older log that lacks
    /// some of its last columns (`previousHeader`, or the usual header where `extra` columns are
    /// expected); returns how many columns that older log lacks.
    static func checkHeader(_ line: Substring, expected: String, file: String) throws -> Int {
        let accepted = [expected, header, previousHeader].filter { expected.hasPrefix($0) }
        guard accepted.contains(String(line)) else {
            throw LossLogError(file: file, line: 1, "expected the header \(expected), found \(quoted(line))")
        }
        return expected.split(separator: ",").count - line.split(separator: ",").count
    }

    /// Where each known column is in a log's header.
    struct Columns {
        let names: [String]
        let step: Int?, epoch: Int?, loss: Int
        let learningRate: Int?, gradientNorm: Int?, tokensPerSecond: Int?
        let validationLoss: Int?, validationAccuracy: Int?, elapsedSeconds: Int?, exactMatch: Int?
        let validationBitsPerCharacter: Int?, validationPerplexity: Int?

        init(header: Substring, file: String) throws {
            let names = header.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            self.names = names
            func column(_ aliases: String...) -> Int? { names.firstIndex(where: aliases.contains) }
            guard let loss = column("loss"), column("step") != nil || column("epoch") != nil else {
                throw LossLogError(file: file, line: 1, "expected a header with a loss column and a step or epoch column "
                                   + "(such as \(LossLog.header)), found \(quoted(header))")
            }
            self.loss = loss
            step = column("step"); epoch = column("epoch")
            learningRate = column("lr", "learning_rate"); gradientNorm = column("grad_norm")
            tokensPerSecond = column("tokens_per_s"); validationLoss = column("val_loss")
            validationAccuracy = column("val_accuracy"); elapsedSeconds = column("elapsed_s")
            exactMatch = column("exact_match")
            validationBitsPerCharacter = column(ExtraColumn.validationBitsPerCharacter.rawValue)
            validationPerplexity = column(ExtraColumn.validationPerplexity.rawValue)
        }

        func parseRow(_ text: Substring, file: String, line: Int) throws -> LossLogRow {
            let fields = text.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map {
                Substring($0).trimmingCharacters(in: .whitespaces)
            }
            guard fields.count == names.count else {
                throw LossLogError(file: file, line: line, "expected \(names.count) columns, found \(fields.count)")
            }
            func failure(_ column: Int, expected: String) -> LossLogError {
                LossLogError(file: file, line: line, "\(names[column]): expected \(expected), found \(quoted(Substring(fields[column])))")
            }
            // Only the loss must be there on every row; an empty field elsewhere is a value not logged.
            func integer(_ column: Int?) throws -> Int? {
                guard let column, !fields[column].isEmpty else { return nil }
                guard let value = Int(fields[column]) else { throw failure(column, expected: "a whole number") }
                return value
            }
            // nan and inf are numbers here: a diverging run logs them, and the plot skips them.
            func number<T: LosslessStringConvertible>(_ column: Int?, as: T.Type = Float.self) throws -> T? {
                guard let column, !fields[column].isEmpty else { return nil }
                guard let value = T(fields[column]) else { throw failure(column, expected: "a number") }
                return value
            }
            guard let loss = try number(loss) else { throw failure(self.loss, expected: "a number") }
            return LossLogRow(step: try integer(step), epoch: try integer(epoch), loss: loss,
                              learningRate: try number(learningRate), gradientNorm: try number(gradientNorm),
                              tokensPerSecond: try number(tokensPerSecond), validationLoss: try number(validationLoss),
                              validationAccuracy: try number(validationAccuracy),
                              elapsedSeconds: try number(elapsedSeconds, as: Double.self), exactMatch: try number(exactMatch),
                              validationBitsPerCharacter: try number(validationBitsPerCharacter),
                              validationPerplexity: try number(validationPerplexity))
        }
    }

    /// The system's words for why a file operation failed ("Permission denied"), not Foundation's wrapping.
    static func reason(_ error: Error) -> String {
        if let error = error as? CocoaError, let posix = error.underlying as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        return error.localizedDescription
    }

    static func quoted(_ text: Substring) -> String {
        let shown = text.count > 60 ? text.prefix(57) + "..." : text
        return text.isEmpty ? "an empty field" : "\"\(shown)\""
    }
}

/// Appends rows to a loss log as training goes, one `write` per line so that a crash loses at most
/// the row being written.
public final class LossLogWriter {
    public let url: URL
    public let extraColumns: [LossLog.ExtraColumn]
    private let handle: FileHandle

    /// Opens `url` for appending, creating it with the header when it is missing or empty.
    ///
    /// Pass `keepingStepsThrough: n` when resuming from step `n`: rows after `n`, written by the run
    /// that crashed, are dropped (and any line without a step) so that the resumed run does not
    /// log those steps twice; a new run that reuses the file passes 0. A line left half-written
    /// by a crash is dropped either way. A file that is not a loss log is refused, not appended to.
    /// `extra` columns follow the usual ones (a language model's bits per character); a log
    /// from before a column was added gets it, empty on its rows.
    public init(appendingTo url: URL, keepingStepsThrough lastStep: Int? = nil, adding extra: [LossLog.ExtraColumn] = []) throws {
        self.url = url
        self.extraColumns = extra
        let file = url.relativePath
        let header = LossLog.header(adding: extra)
        let text = FileManager.default.fileExists(atPath: url.path) ? try LossLog.readText(url) : ""
        do {
            if text.isEmpty {
                try Data((header + "\n").utf8).write(to: url)
            } else {
                let lines = LossLog.splitLines(text)
                let missingColumns = try LossLog.checkHeader(lines[0], expected: header, file: file)
                var kept = lines
                let isTorn = text.utf8.last != UInt8(ascii: "\n")
                if isTorn && kept.count > 1 { kept.removeLast() }  // the half-written line of a crash
                if let lastStep {
                    kept = [lines[0]] + kept.dropFirst().filter { line in
                        Int(line.prefix { $0 != "," }).map { $0 <= lastStep } ?? false
                    }
                }
                if missingColumns > 0 {
                    // A log from before a column (exact_match, a language model's figure): it is added, empty, to its rows.
                    kept = [Substring(header)] + kept.dropFirst().map { $0 + String(repeating: ",", count: missingColumns) }
                }
                if kept.count != lines.count || isTorn || missingColumns > 0 {
                    // Written beside the log and renamed over it, so a crash now loses nothing.
                    try Data(kept.map { $0 + "\n" }.joined().utf8).write(to: url, options: .atomic)
                }
            }
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch let error as LossLogError {
            throw error
        } catch {
            throw LossLogError(file: file, line: nil, "cannot write: \(LossLog.reason(error))")
        }
    }

    deinit { try? handle.close() }

    /// Writes `row` as one line, straight to the file.
    public func append(_ row: LossLogRow) throws {
        try handle.write(contentsOf: Data((LossLog.format(row, adding: extraColumns) + "\n").utf8))
    }
}
