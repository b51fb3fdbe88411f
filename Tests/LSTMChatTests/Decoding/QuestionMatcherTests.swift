import Testing
@testable import LSTMChat

@Suite struct QuestionWordsTests {
    @Test func contractionsShortFormsPluralsAndHyphensAreWrittenOut() {
        #expect(QuestionWords.normalized(["what's", "ur", "favourite", "jokes", "?"]) == ["what", "is", "your", "favorite", "joke"])
        #expect(QuestionWords.normalized(["who", "wrote", "winnie-the-pooh"]) == ["who", "wrote", "winnie", "the", "pooh"])
        #expect(QuestionWords.normalized(["r", "u", "a", "robot"]) == ["are", "you", "a", "robot"])
        #expect(QuestionWords.normalized(["i'm", "sad", "class", "is", "was"]) == ["i", "am", "sad", "class", "is", "was"])
    }
}

@Suite struct QuestionMatcherTests {
    static let tokenizer = Tokenizer(kind: .word)
    static let questions = ["what is your name", "tell me a joke", "who wrote the hobbit", "what is your favorite color",
                            "how are you", "what is your age", "do you like music"]
    static let vocabulary = Vocabulary(counting: questions.map(tokenizer.tokenizeQuestion))
    static let matcher = QuestionMatcher(known: KnownQuestions(questions.map { vocabulary.encode(tokenizer.tokenizeQuestion($0)) }),
                                         vocabulary: vocabulary)

    static func asked(_ text: String) -> String {
        matcher.match(tokenizer.tokenizeQuestion(text)).map { vocabulary.tokens[Int($0)] }.joined(separator: " ")
    }

    @Test func aKnownQuestionIsItself() {
        let tokens = Self.tokenizer.tokenizeQuestion("Tell me a joke!")
        #expect(Self.matcher.nearest(tokens)?.similarity == 1)
        #expect(Self.asked("Tell me a joke!") == "tell me a joke")
    }

    /// Words the vocabulary lacks ("whats", "ur", "jokes", "favourite") still match once written out.
    @Test func rewordingsWithShortFormsFindTheirQuestion() {
        #expect(Self.asked("whats ur name") == "what is your name")
        #expect(Self.asked("tell me jokes") == "tell me a joke")
        #expect(Self.asked("what's your favourite colour?") == "what is your favorite color")
        #expect(Self.asked("how r u") == "how are you")
    }

    @Test func anUnrelatedQuestionIsAskedAsTyped() throws {
        let tokens = Self.tokenizer.tokenizeQuestion("why do magnets attract iron")
        #expect(Self.matcher.match(tokens) == Self.vocabulary.encode(tokens))
        let similarity = Self.matcher.nearest(tokens)?.similarity ?? 0
        #expect(similarity < QuestionMatcher.defaultThreshold)
    }
}
