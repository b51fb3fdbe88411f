import Foundation
import Testing
@testable import LSTMChat

@Suite struct KeywordQuestionTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    func write(_ contents: String) throws -> String {
        let url = directory.url.appendingPathComponent("keywords.tsv")
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    @Test func readsQuestionsAndMatchesKeyWordsAnywhereWhateverTheCase() throws {
        let path = try write("# comment\n\nwho wrote hamlet\tshakespeare|marlowe\nhow far is the moon\t250,000 miles\n")
        let questions = try KeywordQuestion.read(path)
        #expect(questions.map(\.question) == ["who wrote hamlet", "how far is the moon"])
        #expect(questions.map(\.line) == [3, 4])
        #expect(questions[0].isAnswered(by: "William Shakespeare, of course."))
        #expect(questions[0].isAnswered(by: "marlowe"))
        #expect(!questions[0].isAnswered(by: "a chatterbox."))
        #expect(questions[1].isAnswered(by: "the moon is about 250,000 miles from earth"))
        #expect(!questions[1].isAnswered(by: "250 miles"))
    }

    @Test(arguments: [
        ("who\n", "keywords.tsv:1: 0 tabs; a line is question<TAB>regular expression"),
        ("a\tb\tc\n", "keywords.tsv:1: 2 tabs; a line is question<TAB>regular expression"),
        ("\tb\n", "keywords.tsv:1: empty question"),
        ("ok\tfine\nwho\t(unclosed\n", "keywords.tsv:2: not a regular expression: (unclosed"),
        ("# only a comment\n", "keywords.tsv: no questions in it"),
    ])
    func badLinesAreNamed(contents: String, message: String) throws {
        let path = try write(contents)
        do {
            _ = try KeywordQuestion.read(path)
            Issue.record("read \(contents.debugDescription) without an error")
        } catch {
            #expect("\(error)".hasSuffix(message))
        }
    }
}
