import Foundation
import Testing
@testable import LSTMChat


@Suite struct LossLogTests {
    static func row(_ step: Int, epoch: Int = 1, validated: Bool = false) -> LossLogRow {
        LossLogRow(step: step, epoch: epoch, loss: 9.2103405 / Float(step), learningRate: 0.001 * 0.97,
                   gradientNorm: 1.0 / 3.0, tokensPerSecond: 10523.4,
                   validationLoss: validated ? 4.1803 : nil, validationAccuracy: validated ? 0.23114 : nil,
                   elapsedSeconds: 0.4123 * Double(step), exactMatch: validated ? 0.8125 : nil)
    }

    /// Most cases are written in the previous (nine-column) format, which is still read.
    static let header = LossLog.previousHeader + "\n"
    static let goodLine = "1,1,9.21,0.001,4.31,10523.4,,,0.412"

    @Test func headerNamesTheTenColumnsAndThePreviousTheFirstNine() {
        #expect(LossLog.header == "step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s,exact_match")
        #expect(LossLog.previousHeader + ",exact_match" == LossLog.header)
    }

    @Test func formatLeavesValidationEmptyAndRoundsElapsedToMilliseconds() {
        #expect(LossLog.format(LossLogRow(step: 3, epoch: 1, loss: 2.5, learningRate: 1e-05, gradientNorm: 0.75,
                                          tokensPerSecond: 1200, elapsedSeconds: 12.34567))
                == "3,1,2.5,1e-05,0.75,1200.0,,,12.346,")
        #expect(LossLog.format(LossLogRow(step: 3, epoch: 1, loss: 2.5, learningRate: 1e-05, gradientNorm: 0.75,
                                          tokensPerSecond: 1200, elapsedSeconds: 1, exactMatch: 0.5))
                == "3,1,2.5,1e-05,0.75,1200.0,,,1.000,0.5")
    }

    @Test func aLogWithoutTheExactMatchColumnIsReadAndAResumedWriterAddsIt() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: Self.header + Self.goodLine + "\n2,1,8.7,0.001,4.0,10523.4,3.9,0.25,0.8\n")
        #expect(try LossLog.read(url).map(\.step) == [1, 2])
        #expect(try LossLog.read(url).allSatisfy { $0.exactMatch == nil })
        try LossLogWriter(appendingTo: url, keepingStepsThrough: 2).append(Self.row(3, validated: true))
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix(LossLog.header + "\n" + Self.goodLine + ",\n"))
        #expect(try LossLog.read(url).map(\.exactMatch) == [nil, nil, 0.8125])
    }

    @Test(arguments: [LossLog.ExtraColumn.validationBitsPerCharacter, .validationPerplexity])
    func aLanguageModelsLogAddsItsFigureAfterTheOthers(_ column: LossLog.ExtraColumn) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv")
        var row = Self.row(2, validated: true)
        row.validationBitsPerCharacter = column == .validationBitsPerCharacter ? 2.5 : nil
        row.validationPerplexity = column == .validationPerplexity ? 65.25 : nil
        let writer = try LossLogWriter(appendingTo: url, adding: [column])
        try writer.append(Self.row(1))
        try writer.append(row)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines[0] == LossLog.header + "," + column.rawValue)
        #expect(lines[1].hasSuffix(",,") && lines[2].hasSuffix(column == .validationBitsPerCharacter ? ",0.8125,2.5" : ",0.8125,65.25"))
        let read = try LossLog.read(url)
        #expect(read.map(\.validationBitsPerCharacter) == [nil, row.validationBitsPerCharacter])
        #expect(read.map(\.validationPerplexity) == [nil, row.validationPerplexity])
    }

    @Test func aLanguageModelsLogFromBeforeItsColumnGetsItAndOtherLogsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: Self.header + Self.goodLine + "\n")
        var row = Self.row(2, validated: true)
        row.validationBitsPerCharacter = 1.75
        try LossLogWriter(appendingTo: url, keepingStepsThrough: 1, adding: [.validationBitsPerCharacter]).append(row)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix(LossLog.header + ",val_bits_per_char\n" + Self.goodLine + ",,\n"))
        #expect(try LossLog.read(url).map(\.validationBitsPerCharacter) == [nil, 1.75])
        // A question-answering run does not append to a language model's log, nor one kind of language model to the other's.
        let refused = #expect(throws: LossLogError.self) { try LossLogWriter(appendingTo: url) }
        #expect(refused?.message.hasPrefix("expected the header \(LossLog.header), found \"step,epoch,") == true)
        #expect(throws: LossLogError.self) { try LossLogWriter(appendingTo: url, adding: [.validationPerplexity]) }
    }

    @Test func writtenRowsReadBackExactly() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv")
        let rows = (1...5).map { Self.row($0, validated: $0 == 5) }
        let writer = try LossLogWriter(appendingTo: url)
        for row in rows { try writer.append(row) }

        let read = try LossLog.read(url)
        #expect(read.count == rows.count)
        for (got, wrote) in zip(read, rows) {
            // Every float round-trips bit for bit; elapsed seconds keep three decimals.
            #expect(got.loss == wrote.loss && got.learningRate == wrote.learningRate)
            #expect(got.gradientNorm == wrote.gradientNorm && got.tokensPerSecond == wrote.tokensPerSecond)
            #expect(got.validationLoss == wrote.validationLoss && got.validationAccuracy == wrote.validationAccuracy)
            #expect(abs(got.elapsedSeconds! - wrote.elapsedSeconds!) <= 0.0005)
            #expect(got.step == wrote.step && got.epoch == wrote.epoch && got.exactMatch == wrote.exactMatch)
        }
    }

    @Test func eachRowIsOnDiskAsSoonAsItIsAppended() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv")
        let writer = try LossLogWriter(appendingTo: url)
        try writer.append(Self.row(1))
        // Read while the writer is still open: nothing waits in a buffer.
        #expect(try LossLog.read(url).map(\.step) == [1])
    }

    @Test func reopeningAppendsWithoutASecondHeader() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv")
        try LossLogWriter(appendingTo: url).append(Self.row(1))
        try LossLogWriter(appendingTo: url).append(Self.row(2))

        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.components(separatedBy: LossLog.header).count == 2)
        #expect(try LossLog.read(url).map(\.step) == [1, 2])
    }

    @Test func anEmptyFileGetsTheHeader() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: "")
        try LossLogWriter(appendingTo: url).append(Self.row(1))
        #expect(try String(contentsOf: url, encoding: .utf8).hasPrefix(LossLog.header + "\n1,"))
    }

    @Test func resumingDropsTheRowsAfterTheCheckpoint() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv")
        let crashed = try LossLogWriter(appendingTo: url)
        for step in 1...7 { try crashed.append(Self.row(step)) }

        let resumed = try LossLogWriter(appendingTo: url, keepingStepsThrough: 4)
        for step in 5...8 { try resumed.append(Self.row(step)) }
        #expect(try LossLog.read(url).map(\.step) == Array(1...8))
    }

    @Test func resumingFromStepZeroKeepsOnlyTheHeader() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: Self.header + Self.goodLine + "\n")
        _ = try LossLogWriter(appendingTo: url, keepingStepsThrough: 0)
        #expect(try String(contentsOf: url, encoding: .utf8) == LossLog.header + "\n")
    }

    @Test(arguments: [nil, 10])
    func aLineHalfWrittenByACrashIsDropped(keepingStepsThrough: Int?) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: Self.header + Self.goodLine + "\n2,1,8.7")
        try LossLogWriter(appendingTo: url, keepingStepsThrough: keepingStepsThrough).append(Self.row(2))
        #expect(try LossLog.read(url).map(\.step) == [1, 2])
    }

    @Test func appendingToAFileThatIsNotALossLogIsRefused() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("notes.csv", contents: "name,value\na,1\n")
        let error = #expect(throws: LossLogError.self) { try LossLogWriter(appendingTo: url) }
        #expect(error == LossLogError(file: url.relativePath, line: 1, "expected the header \(LossLog.header), found \"name,value\""))
        #expect(try String(contentsOf: url, encoding: .utf8) == "name,value\na,1\n")
    }

    @Test func aWriterInAMissingDirectorySaysWhy() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("missing/run.csv")
        let error = #expect(throws: LossLogError.self) { try LossLogWriter(appendingTo: url) }
        #expect(error == LossLogError(file: url.relativePath, line: nil, "cannot write: No such file or directory"))
    }

    @Test func readerAcceptsWindowsLineEndsAndNonFiniteValues() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: LossLog.header + "\r\n1,1,nan,0.001,inf,10.5,,,0.5,\r\n")
        let rows = try LossLog.read(url)
        #expect(rows.count == 1)
        #expect(rows[0].loss.isNaN && rows[0].gradientNorm == .infinity)
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        var name: String
        var contents: String
        var line: Int
        var message: String
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        .init(name: "empty file", contents: "", line: 1, message: "empty file, expected a header such as \(LossLog.header)"),
        .init(name: "header only", contents: header, line: 2, message: "no rows after the header"),
        .init(name: "no header", contents: goodLine + "\n", line: 1, message: "expected a header with a loss column and a step or "
              + "epoch column (such as \(LossLog.header)), found \"\(goodLine)\""),
        .init(name: "no loss column", contents: "epoch,accuracy\n0,0.5\n", line: 1, message: "expected a header with a loss "
              + "column and a step or epoch column (such as \(LossLog.header)), found \"epoch,accuracy\""),
        .init(name: "neither step nor epoch", contents: "loss,val_loss\n2.3,2.5\n", line: 1, message: "expected a header with a "
              + "loss column and a step or epoch column (such as \(LossLog.header)), found \"loss,val_loss\""),
        .init(name: "empty loss", contents: "step,loss\n1,2.5\n2,\n", line: 3, message: "loss: expected a number, found an empty field"),
        .init(name: "short line of a hand-cut log", contents: "loss,step\n2.5,1\n2.4\n", line: 3, message: "expected 2 columns, found 1"),
        .init(name: "too few columns", contents: header + goodLine + "\n2,1,8.7,0.001\n",
              line: 3, message: "expected 9 columns, found 4"),
        .init(name: "too many columns", contents: header + goodLine + ",7\n",
              line: 2, message: "expected 9 columns, found 10"),
        .init(name: "word for a loss", contents: header + "1,1,high,0.001,4.31,10523.4,,,0.412\n",
              line: 2, message: "loss: expected a number, found \"high\""),
        .init(name: "fractional step", contents: header + "1.5,1,9.21,0.001,4.31,10523.4,,,0.412\n",
              line: 2, message: "step: expected a whole number, found \"1.5\""),
        .init(name: "fractional epoch of Keras", contents: "epoch,loss,val_loss\n0.5,2.1,2.2\n",
              line: 2, message: "epoch: expected a whole number, found \"0.5\""),
        .init(name: "bad validation accuracy", contents: header + "1,1,9.21,0.001,4.31,10523.4,4.1,x,0.412\n",
              line: 2, message: "val_accuracy: expected a number, found \"x\""),
        .init(name: "bad elapsed time", contents: header + "1,1,9.21,0.001,4.31,10523.4,,,soon\n",
              line: 2, message: "elapsed_s: expected a number, found \"soon\""),
    ]

    @Test(arguments: malformed)
    func malformedLogsAreReportedByFileAndLine(_ example: Malformed) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: example.contents)
        let error = #expect(throws: LossLogError.self) { try LossLog.read(url) }
        #expect(error == LossLogError(file: url.relativePath, line: example.line, example.message))
    }

    @Test func kerasCSVLoggerLogsReadByColumnName() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("keras.csv", contents: "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\n"
                                + "0,0.31,0.001,2.75,0.35,2.5\n1,0.42,0.001,2.25,0.44,2.125\n")
        let rows = try LossLog.read(url)
        #expect(rows == [
            LossLogRow(step: nil, epoch: 0, loss: 2.75, learningRate: 0.001, gradientNorm: nil, tokensPerSecond: nil,
                       validationLoss: 2.5, validationAccuracy: 0.35, elapsedSeconds: nil),
            LossLogRow(step: nil, epoch: 1, loss: 2.25, learningRate: 0.001, gradientNorm: nil, tokensPerSecond: nil,
                       validationLoss: 2.125, validationAccuracy: 0.44, elapsedSeconds: nil),
        ])
    }

    @Test func aHandCutLogNeedsOnlyAStepAndALossInAnyOrderWithSpacesAndBlankLines() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("cut.csv", contents: " Loss , Step ,note\n3.5, 10,warm-up\n\n3.25,20,\n")
        let rows = try LossLog.read(url)
        #expect(rows.map(\.step) == [10, 20] && rows.map(\.loss) == [3.5, 3.25])
        #expect(rows.allSatisfy { $0.epoch == nil && $0.learningRate == nil && $0.elapsedSeconds == nil })
    }

    @Test func emptyOptionalFieldsAreNotLogged() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("run.csv", contents: Self.header + "1,1,9.21,,4.31,10523.4,,,\n")
        let row = try #require(try LossLog.read(url).first)
        #expect(row.learningRate == nil && row.elapsedSeconds == nil && row.gradientNorm == 4.31)
    }

    @Test func aMissingFileIsNamed() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("gone.csv")
        let error = #expect(throws: LossLogError.self) { try LossLog.read(url) }
        #expect(error == LossLogError(file: url.relativePath, line: nil, "no such file"))
    }

    @Test func errorsNameTheFileAsTheUserWroteIt() {
        #expect(URL(fileURLWithPath: "runs/run.csv").relativePath == "runs/run.csv")
        #expect("\(LossLogError(file: "run.csv", line: 7, "expected 9 columns, found 4"))" == "run.csv:7: expected 9 columns, found 4")
    }
}
