import ArgumentParser
import Foundation
import LSTMChat

/// A trained model ready to answer questions: the network, its vocabulary and its tokenizer.
final class ChatModel {
    let network: Seq2SeqModel
    let vocabulary: Vocabulary
    let tokenizer: Tokenizer
    let trainingSteps: Int?
    /// The file it came from, as the user named it.
    let path: String

    /// Questions longer than this are cut: the model never saw longer ones, and the encoder's
    /// time and memory grow with the length.
    static let maxQuestionTokens = 200

    init(network: Seq2SeqModel, vocabulary: Vocabulary, tokenizer: Tokenizer, trainingSteps: Int?, path: String) {
        precondition(vocabulary.count == network.config.vocabSize, "vocabulary and model disagree on the size")
        self.network = network
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.trainingSteps = trainingSteps
        self.path = path
    }

    var specials: SpecialTokenIDs {
        SpecialTokenIDs(pad: Vocabulary.pad, unknown: Vocabulary.unknown, bos: Vocabulary.bos, eos: Vocabulary.eos)
    }

    /// "vocabulary 8000, 2 layers of 512 with attention, 30000 training steps"
    var summary: String {
        let config = network.config
        var text = "vocabulary \(config.vocabSize), \(config.layers) layer\(config.layers == 1 ? "" : "s") of \(config.hiddenSize)"
        if config.attention { text += " with attention" }
        if let trainingSteps { text += ", \(trainingSteps) training steps" }
        return text
    }

    struct Question {
        var ids: [Int32]
        /// The question's words the vocabulary lacks, each once, in order.
        var unknownWords: [String]
        /// True when the question was longer than `maxQuestionTokens` and cut.
        var wasCut: Bool
    }

    func encode(_ text: String) -> Question {
        var tokens = tokenizer.tokenize(text)
        let wasCut = tokens.count > Self.maxQuestionTokens
        if wasCut { tokens.removeLast(tokens.count - Self.maxQuestionTokens) }
        return Question(ids: vocabulary.encode(tokens), unknownWords: vocabulary.unknownWords(in: tokens), wasCut: wasCut)
    }

    /// The answer's tokens; `<unk>` shows as itself when answers may hold it.
    func tokens(of answer: GeneratedAnswer) -> [String] { answer.tokens.map { vocabulary.tokens[Int($0)] } }

    func text(of answer: GeneratedAnswer) -> String { tokenizer.detokenize(tokens(of: answer)) }
}

/// A model and the decoder that answers with it, as `chat` and `ask` use them.
final class Chatbot {
    private(set) var model: ChatModel
    private(set) var generator: AnswerGenerator

    init(model: ChatModel, settings: DecodingSettings) {
        self.model = model
        generator = AnswerGenerator(session: InferenceSession(model: model.network), specials: model.specials, settings: settings)
    }

    var settings: DecodingSettings {
        get { generator.settings }
        set { generator.settings = newValue }
    }

    /// Answers with another model, keeping the settings.
    func replaceModel(with model: ChatModel) {
        self.model = model
        generator = AnswerGenerator(session: InferenceSession(model: model.network), specials: model.specials, settings: settings)
    }

    func answer(_ question: ChatModel.Question, count: Int = 1) -> [GeneratedAnswer] {
        generator.generate(question.ids, count: count)
    }

    /// The notes for standard error about a question: words the model does not know, and a cut.
    static func notes(about question: ChatModel.Question) -> [String] {
        var notes: [String] = []
        if !question.unknownWords.isEmpty {
            let shown = question.unknownWords.prefix(8).map(Terminal.printable)
            let more = question.unknownWords.count - shown.count
            notes.append("(not in vocabulary: \(shown.joined(separator: ", "))\(more > 0 ? " and \(more) more" : ""))")
        }
        if question.wasCut { notes.append("(question cut to its first \(ChatModel.maxQuestionTokens) tokens)") }
        return notes
    }
}

enum Terminal {
    /// `text` safe to print: control characters as \u{…}, long words shortened.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(40) {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 40 ? out + "…" : out
    }

    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
