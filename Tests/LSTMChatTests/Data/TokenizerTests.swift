import Foundation
import Testing
@testable import LSTMChat

@Suite struct TokenizerTests {
    let words = Tokenizer(kind: .word)
    let characters = Tokenizer(kind: .char)

    @Test(arguments: [
        ("Hello, world!", ["hello", ",", "world", "!"]),
        ("Don't worry, I'm sure it's fine.", ["don't", "worry", ",", "i'm", "sure", "it's", "fine", "."]),
        ("Don’t", ["don't"]),
        ("Pi is 3.14, not 1,000 or 10:30.", ["pi", "is", "3.14", ",", "not", "1,000", "or", "10:30", "."]),
        ("(A well-known fact)", ["(", "a", "well-known", "fact", ")"]),
        ("The dogs' bowls", ["the", "dogs", "'", "bowls"]),
        ("Wait...what?!", ["wait", ".", ".", ".", "what", "?", "!"]),
        ("ÇA VA? Ñandú ПРИВЕТ", ["ça", "va", "?", "ñandú", "привет"]),
        ("  spaced \t out\n", ["spaced", "out"]),
        ("end.", ["end", "."]),
        ("", []),
    ])
    func wordTokens(text: String, expected: [String]) {
        #expect(words.tokenize(text) == expected)
    }

    @Test func wordDetokenizeAttachesPunctuation() {
        #expect(words.detokenize(["hello", ",", "world", "!"]) == "hello, world!")
        #expect(words.detokenize(["(", "see", "below", ")", "ok", "?"]) == "(see below) ok?")
        #expect(words.detokenize([]) == "")
    }

    @Test(arguments: [
        "Hello, world!",
        "Don't worry; it's fine.",
        "I'm 3.14 meters tall?!",
        "(See the manual) please.",
        "She said \"hi there\" to me.",
        "The dogs' bowls are empty.",
        "Well-known facts: 1,000 cats and 2 dogs.",
        "Ça va? Très bien!",
        "ПРИВЕТ, МИР!",
        "Wait... what?",
        "It costs 5% [roughly] {maybe}.",
        "¿Qué tal? ¡Bien!",
        "What is lstmchat?",
        "Numbers like 10:30 and 2.5 stay whole.",
    ])
    func wordRoundTripGivesTheLowercasedSentence(sentence: String) {
        #expect(words.detokenize(words.tokenize(sentence)) == sentence.lowercased())
    }

    @Test(arguments: [
        ("Hi  there!", ["h", "i", " ", "t", "h", "e", "r", "e", "!"]),
        ("  A\tb\n", ["a", " ", "b"]),
        ("Çé", ["ç", "é"]),
        ("", []),
    ])
    func characterTokens(text: String, expected: [String]) {
        #expect(characters.tokenize(text) == expected)
    }

    @Test(arguments: ["hello, world!", "Don't  stop\tnow.", " Ça va? "])
    func characterRoundTripCollapsesWhitespace(text: String) {
        let normalized = text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(characters.detokenize(characters.tokenize(text)) == normalized)
    }

    @Test(arguments: [
        ("Hello,  World!", "hello , world !"),
        ("hello , world !", "hello , world !"),
        ("  I'M FINE.", "i'm fine ."),
    ])
    func normalizeAnswerIgnoresCaseAndSpacing(text: String, expected: String) {
        #expect(normalizeAnswer(text) == expected)
    }

    /// However a question is typed (case, spacing, final `?`, `.`, `!` or none), it is one question.
    @Test(arguments: ["what is ai", "What is AI?", "what is AI .", "  WHAT  is ai!", "what is ai ?!", "What is AI..."])
    func questionsLoseCaseSpacingAndFinalPunctuation(text: String) {
        #expect(Tokenizer(kind: .word).tokenizeQuestion(text) == ["what", "is", "ai"])
        #expect(Tokenizer(kind: .char).tokenizeQuestion(text) == Array("what is ai").map(String.init))
    }

    @Test func questionPunctuationElsewhereStaysAndAloneIsKept() {
        let words = Tokenizer(kind: .word)
        #expect(words.tokenizeQuestion("Hello, how are you?") == ["hello", ",", "how", "are", "you"])
        #expect(words.tokenizeQuestion("?") == ["?"])
        #expect(words.tokenizeQuestion("") == [])
        // Models trained before normalization are asked as they were trained.
        #expect(Tokenizer(kind: .word, normalizesQuestions: false).tokenizeQuestion("What is AI?") == ["what", "is", "ai", "?"])
    }
}

/// Answers kept as written (`Tokenizer.keepsText`): the test vectors shared with the PyTorch
/// trainer's tests (Tests/Shared/tokenizer-vectors.json), and every answer of `datasets/` back as written.
@Suite struct WrittenTextTests {
    struct Vectors: Decodable {
        struct Answer: Decodable { var answer: String, word: [String], char: [String], text: String }
        struct Question: Decodable { var question: String, word: [String] }
        var answers: [Answer]
        var questions: [Question]
    }

    static let vectors: Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Shared/tokenizer-vectors.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    let words = Tokenizer(kind: .word, keepsText: true)
    let characters = Tokenizer(kind: .char, keepsText: true)

    @Test func theSharedVectorsAreRead() {
        #expect(Self.vectors.answers.count >= 8 && Self.vectors.questions.count >= 5)
    }

    @Test(arguments: vectors.answers.indices)
    func answersTokenizeAsTheSharedVectorsSay(index: Int) {
        let vector = Self.vectors.answers[index]
        #expect(words.tokenizeAnswer(vector.answer) == vector.word)
        #expect(characters.tokenizeAnswer(vector.answer) == vector.char)
        #expect(words.detokenize(vector.word) == vector.text)
        #expect(characters.detokenize(vector.char) == vector.text)
    }

    @Test(arguments: vectors.questions.indices)
    func questionsTokenizeAsTheSharedVectorsSay(index: Int) {
        let vector = Self.vectors.questions[index]
        #expect(words.tokenizeQuestion(vector.question) == vector.word)
    }

    @Test func codeComesBackAsWritten() {
        let answer = "Here's bubble sort:\n\n```\ndef bubble_sort(arr):\n    if arr[j] <= arr[j+1]:\n        return arr\n```"
        let tokens = words.tokenizeAnswer(answer)
        #expect(words.detokenize(tokens) == answer)
        #expect(tokens.prefix(3) == ["▁Here's", "▁bubble", "▁sort"])
        #expect(tokens.contains("\n    ") && tokens.contains("▁bubble_sort"))
    }

    /// The text's ends: whitespace before the first token kept, whitespace after the last dropped.
    @Test func whitespaceAtTheEnds() {
        #expect(words.detokenize(words.tokenizeAnswer("  two spaces\n")) == "  two spaces")
        #expect(words.detokenize(words.tokenizeAnswer(" one space")) == " one space")
        #expect(words.tokenizeAnswer(" \t\n") == [])
    }

    /// The mark U+2581 in a text is a token of its own, not a space.
    @Test func theSpaceMarkItselfComesBack() {
        for text in ["▁", "a▁b", "a ▁ b", "▁▁x"] {
            #expect(words.detokenize(words.tokenizeAnswer(text)) == text)
        }
    }

    /// A question's case and spacing do not count; its words carry `▁` as answers' do, so both share them.
    @Test func questionWordsShareTheAnswersTokens() {
        #expect(words.tokenizeQuestion("  What IS  ai?!") == ["▁what", "▁is", "▁ai"])
        #expect(words.tokenizeAnswer("what is ai") == words.tokenizeQuestion("What is AI?"))
        #expect(words.detokenize(words.tokenizeQuestion("Hello, how are you?")) == "hello, how are you")
    }

    /// Without `keepsText` (models from before it) answers read as before: lowercased, spaced by rule.
    @Test func olderModelsReadAnswersAsBefore() {
        let legacy = Tokenizer(kind: .word)
        #expect(legacy.tokenizeAnswer("Hello,  World!") == ["hello", ",", "world", "!"])
        #expect(legacy.detokenize(["def", "f", "(", "a", ")", ":"]) == "def f (a):")
        #expect(legacy.tokenizeQuestion("What is AI?") == ["what", "is", "ai"])
    }

    static let corpora = ["chatterbot-english", "examples/small.tsv", "examples/parallel"]

    /// Every answer of every question/answer corpus in `datasets/` comes back exactly as written
    /// (but for the whitespace at its end), with both tokenizers.
    @Test(arguments: corpora)
    func everyAnswerOfTheDatasetsComesBackAsWritten(corpus: String) throws {
        let pairs = try DatasetReader.read(DatasetsTests.path(corpus))
        #expect(!pairs.isEmpty)
        for pair in pairs {
            var written = pair.answer
            while written.last?.isWhitespace == true { written.removeLast() }
            #expect(words.detokenize(words.tokenizeAnswer(pair.answer)) == written, "\(pair.file):\(pair.line)")
            #expect(characters.detokenize(characters.tokenizeAnswer(pair.answer)) == written, "\(pair.file):\(pair.line)")
        }
    }
}
