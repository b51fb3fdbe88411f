import Foundation
import Testing
@testable import LSTMChat

@Suite struct DatasetReaderTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    /// Writes `contents` (as bytes, so tests can write bad UTF-8) to `name` in the test's directory.
    func write(_ name: String, _ contents: String) throws -> String {
        try write(name, bytes: Array(contents.utf8))
    }

    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let url = directory.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    func failure(_ body: () throws -> [QAPair]) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }

    // MARK: TSV

    @Test func tsvSkipsBlankAndCommentLinesAndTrimsSpaces() throws {
        let path = try write("a.tsv", "# greetings\n\nhello\thi there\n  # indented comment\n how are you? \t fine \n")
        #expect(try DatasetReader.read(path) == [
            QAPair(question: "hello", answer: "hi there", file: path, line: 3),
            QAPair(question: "how are you?", answer: "fine", file: path, line: 5),
        ])
    }

    @Test func tsvAcceptsCRLFAndAByteOrderMark() throws {
        let path = try write("a.tsv", bytes: [0xEF, 0xBB, 0xBF] + Array("hello\thi\r\nbye\tsee you\r\n".utf8))
        #expect(try DatasetReader.read(path).map { [$0.question, $0.answer] } == [["hello", "hi"], ["bye", "see you"]])
    }

    @Test(arguments: [
        ("ok\tfine\nhello\n", "2: no tab; a line is question<TAB>answer"),
        ("a\tb\tc\n", "1: 2 tabs; a line is question<TAB>answer with one tab"),
        ("ok\tfine\n \tb\n", "2: empty question"),
        ("a\t  \n", "1: empty answer"),
        ("# only a comment\n\n", " no question/answer pairs in it"),
    ])
    func tsvProblemsNameTheLine(contents: String, problem: String) throws {
        let path = try write("bad.tsv", contents)
        #expect(failure { try DatasetReader.read(path) } == "\(path):\(problem)")
    }

    // MARK: Formats

    @Test func formatOptionOverridesTheExtension() throws {
        let path = try write("pairs.txt", "hello\thi\n")
        #expect(try DatasetReader.read(path, format: .tsv).count == 1)
        #expect(failure { try DatasetReader.read(path) }
                == "\(path): cannot tell the format of \(path); use --format tsv|parallel|yaml")
    }

    @Test(arguments: ["a.yml", "a.yaml", "A.YML"])
    func yamlExtensionsAreRecognised(name: String) throws {
        let path = try write(name, "conversations:\n- - hello\n  - hi\n")
        #expect(try DatasetReader.read(path).count == 1)
    }

    // MARK: Parallel files

    @Test func parallelFilesPairLineByLine() throws {
        let questions = try write("q.txt", "hello\r\nwhat is 2+2?\r\n")
        let answers = try write("a.txt", "hi\n4\n")
        #expect(try DatasetReader.read(questions: questions, answers: answers) == [
            QAPair(question: "hello", answer: "hi", file: questions, line: 1),
            QAPair(question: "what is 2+2?", answer: "4", file: questions, line: 2),
        ])
    }

    @Test func parallelFilesOfDifferentLengthsGiveBothCounts() throws {
        let questions = try write("q.txt", "a\nb\nc\n")
        let answers = try write("a.txt", "x\ny\n")
        #expect(failure { try DatasetReader.read(questions: questions, answers: answers) }
                == "\(answers): has 2 lines but \(questions) has 3; line N of one must answer line N of the other")
    }

    @Test func parallelEmptyLineIsAnErrorOnEitherSide() throws {
        let questions = try write("q.txt", "a\n\nc\n")
        let answers = try write("a.txt", "x\ny\n \n")
        #expect(failure { try DatasetReader.read(questions: questions, answers: answers) } == "\(questions):2: empty line")
        let fixed = try write("q2.txt", "a\nb\nc\n")
        #expect(failure { try DatasetReader.read(questions: fixed, answers: answers) } == "\(answers):3: empty line")
    }

    // MARK: ChatterBot YAML

    @Test func yamlConversationsGiveConsecutivePairs() throws {
        let path = try write("c.yml", """
            categories:
            - greetings
            conversations:
            - - Hello
              - Hi there!
              - How are you?
            - [What is 6 times 7?, 42]
            - - Is it true?
              - yes
            - - A conversation of one message gives no pair
            - A message alone is a conversation of one
            """)
        let pairs = try DatasetReader.read(path)
        #expect(pairs.map { [$0.question, $0.answer] } == [
            ["Hello", "Hi there!"], ["Hi there!", "How are you?"], ["What is 6 times 7?", "42"], ["Is it true?", "yes"],
        ])
        #expect(pairs.map(\.line) == [4, 5, 7, 8])
    }

    @Test(arguments: [
        ("- a\n- b\n", "1: not a ChatterBot corpus: the top level is not a mapping"),
        ("categories: [a]\n", " not a ChatterBot corpus: no conversations list"),
        ("conversations: hello\n", "1: not a ChatterBot corpus: conversations is not a list"),
        ("conversations:\n- {a: b}\n", "2: not a ChatterBot corpus: a conversation is not a list of messages"),
        ("conversations:\n- - [a, b]\n", "2: not a ChatterBot corpus: lists nested deeper than conversations of messages"),
        ("trainer: x\nconversations: []\n", "1: not a ChatterBot corpus: unexpected key trainer"),
        ("categories: {a: b}\nconversations: []\n", "1: not a ChatterBot corpus: categories is not a list of names"),
        ("conversations:\n- - a\n  - ''\n", "3: empty message"),
        ("conversations: []\n", " no question/answer pairs in it"),
    ])
    func yamlThatIsNotACorpusIsRefused(contents: String, problem: String) throws {
        let path = try write("c.yml", contents)
        #expect(failure { try DatasetReader.read(path) } == "\(path):\(problem)")
    }

    @Test func yamlAliasBombIsRefusedBeforeExpanding() throws {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...9 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]")
        }
        let path = try write("bomb.yml", lines.joined(separator: "\n") + "\n")
        #expect(failure { try DatasetReader.read(path) } == "\(path):1: YAML anchors (&name) are not allowed in a corpus")
    }

    @Test func yamlAliasIsRefused() throws {
        // An alias without its anchor is still refused by name, before Yams reports the missing anchor.
        let path = try write("c.yml", "conversations:\n- - hello\n  - *greeting\n")
        #expect(failure { try DatasetReader.read(path) } == "\(path):3: YAML aliases (*name) are not allowed in a corpus")
    }

    @Test func yamlSyntaxErrorNamesTheLine() throws {
        let path = try write("c.yml", "categories: [x]\nconversations: a: b\n")
        #expect(failure { try DatasetReader.read(path) }
                == "\(path):2: not valid YAML: mapping values are not allowed in this context")
    }

    // MARK: Directories

    @Test func directoryReadsEveryCorpusFileInNameOrderThenParallelFiles() throws {
        _ = try write("corpus/b.yml", "conversations:\n- [b question, b answer]\n")
        _ = try write("corpus/a.tsv", "a question\ta answer\n")
        _ = try write("corpus/questions.txt", "p question\n")
        _ = try write("corpus/answers.txt", "p answer\n")
        _ = try write("corpus/notes.md", "not read\n")
        _ = try write("corpus/sub/c.tsv", "not\tread\n")
        let corpus = directory.url.appendingPathComponent("corpus").path
        #expect(try DatasetReader.read(corpus).map(\.question) == ["a question", "b question", "p question"])
        #expect(try DatasetReader.read(corpus, format: .yaml).map(\.question) == ["b question"])
        #expect(try DatasetReader.read(corpus, format: .parallel).map(\.question) == ["p question"])
    }

    @Test func directoryWithQuestionsButNoAnswersIsAnError() throws {
        let questions = try write("corpus/questions.txt", "hello\n")
        #expect(failure { try DatasetReader.read(directory.url.appendingPathComponent("corpus").path) }
                == "\(questions): has no partner; parallel files are questions.txt and answers.txt together")
    }

    @Test func directoryWithNoCorpusFilesIsAnError() throws {
        _ = try write("corpus/readme.md", "nothing here\n")
        let corpus = directory.url.appendingPathComponent("corpus").path
        #expect(failure { try DatasetReader.read(corpus) }
                == "\(corpus): no .tsv, .yml or .yaml files and no questions.txt + answers.txt in it")
    }

    // MARK: Bad files

    @Test func missingFileIsAnError() throws {
        let path = directory.url.appendingPathComponent("missing.tsv").path
        #expect(failure { try DatasetReader.read(path) } == "\(path): no such file or directory")
    }

    @Test(arguments: [[UInt8](), [0xEF, 0xBB, 0xBF]])
    func emptyFileIsAnError(bytes: [UInt8]) throws {
        let path = try write("empty.tsv", bytes: bytes)
        #expect(failure { try DatasetReader.read(path) } == "\(path): empty file")
    }

    /// As `train <(cut -f1,2 data.tsv) --format tsv` gives it (Foundation's Data(contentsOf:)
    /// refused pipes).
    @Test func aNamedPipeIsRead() throws {
        let path = directory.url.appendingPathComponent("pipe.tsv").path
        #expect(mkfifo(path, 0o600) == 0)
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: path)!
            handle.write(Data("hi\thello\n".utf8))
            handle.closeFile()
        }
        writer.start()
        #expect(try DatasetReader.read(path).map(\.answer) == ["hello"])
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let path = try write("bad.tsv", bytes: Array("a\tb\nc\td\n".utf8) + [0x65, 0x09, 0xC3, 0x28, 0x0A])
        #expect(failure { try DatasetReader.read(path) } == "\(path):3: not valid UTF-8")
    }

    @Test func nulByteNamesTheLine() throws {
        let path = try write("bad.tsv", bytes: Array("a\tb\n".utf8) + [0x63, 0x09, 0x00, 0x0A])
        #expect(failure { try DatasetReader.read(path) } == "\(path):2: contains a NUL byte; is this a text file?")
    }

    /// A sparse file of NUL bytes one byte over the limit: it takes no disk space.
    func hugeFile(_ name: String) throws -> String {
        let path = try write(name, "")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(TextFile.maximumBytes) + 1)
        try handle.close()
        return path
    }

    @Test func fileOver256MBIsRefusedWithoutReadingIt() throws {
        let path = try hugeFile("huge.yml")
        #expect(failure { try DatasetReader.read(path) } == "\(path): is 256 MB; files over 256 MB are not read")
    }

    /// A TSV file is read a line at a time, so it has no size limit; a binary file given by
    /// mistake is refused on its first megabyte, not read to its end.
    @Test func hugeTSVOfNulBytesIsRefusedOnItsFirstLine() throws {
        let path = try hugeFile("huge.tsv")
        #expect(failure { try DatasetReader.read(path) } == "\(path):1: contains a NUL byte; is this a text file?")
    }

    @Test func tsvLineLongerThanTheLimitIsRefused() throws {
        let path = try write("long.tsv", "a\tb\n" + String(repeating: "x", count: TextFile.maximumLineBytes + 1))
        #expect(failure { try DatasetReader.read(path) } == "\(path):2: is over 16 MB long; is this a text file?")
    }
}
