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
