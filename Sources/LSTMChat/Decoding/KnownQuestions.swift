/// The questions a model was trained on, each once, in the order first seen: a question among
/// them is judged as known (`AnswerConfidence`), and a question asked in other words is matched
/// to the one it means (`QuestionMatcher`). Stored flat (`TokenLists`) and found by hashing
/// (`ListIndex`): a model trained on millions of pairs knows as many questions, and holds them in
/// two arrays and a table of integers.
public struct KnownQuestions: Equatable, Sendable {
    /// The distinct questions, as token ids, in the order first seen.
    public let questions: TokenLists
    private let index: ListIndex

    public init(_ questions: TokenLists) {
        (self.questions, index) = questions.distinctAndIndexed()
    }

    public init(_ questions: [[Int32]]) { self.init(TokenLists(questions)) }

    /// Whether `question` is one of the known questions, token for token.
    public func contains(_ question: [Int32]) -> Bool { index(of: question) != nil }

    /// The index in `questions` of `question`, if it is one of them.
    public func index(of question: [Int32]) -> Int? {
        question.withUnsafeBufferPointer { questions.find($0, in: index) }
    }

    public static func == (a: Self, b: Self) -> Bool { a.questions == b.questions }
}
