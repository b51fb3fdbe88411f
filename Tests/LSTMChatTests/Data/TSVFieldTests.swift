import Foundation
import Testing
@testable import LSTMChat

/// A multi-line answer on one line (piped `ask` and `chat`) and back (the TSV reader).
@Suite struct TSVFieldTests {
    @Test(arguments: [
        ("a\nb", #"a\nb"#), ("tab\there", #"tab\there"#), ("back\\slash", #"back\\slash"#), ("cr\r\nlf", #"cr\r\nlf"#),
        ("plain", "plain"), (#"\n"#, #"\\n"#),
    ])
    func escapesAndReadsBack(text: String, field: String) {
        #expect(TSVField.escaped(text) == field)
        #expect(TSVField.unescaped(field) == text)
    }

    /// Another backslash is read as written: `C:\data` stays `C:\data`.
    @Test(arguments: [#"C:\data"#, "end\\", #"\x"#])
    func otherBackslashesStay(field: String) {
        #expect(TSVField.unescaped(field) == field)
    }

    @Test func aTSVAnswerMayHoldLinesAndIndentation() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("code.tsv", contents: "write code\t" + #"Here:\n\n```\ndef f():\n    return 1\n```"#)
        let pairs = try DatasetReader.read(url.path)
        #expect(pairs.map(\.answer) == ["Here:\n\n```\ndef f():\n    return 1\n```"])
    }
}
