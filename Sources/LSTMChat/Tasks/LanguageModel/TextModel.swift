import Foundation

/// A language model ready to write: the network, its vocabulary and tokenizer.
public final class TextModel {
    public let network: LanguageModel
    public let vocabulary: Vocabulary
    public let tokenizer: Tokenizer
    public let path: String

    public init(network: LanguageModel, vocabulary: Vocabulary, tokenizer: Tokenizer, path: String) {
        self.network = network
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.path = path
    }

    /// The id of the line-end token, when the training text had one.
    public var newline: Int32? {
        let id = vocabulary.id(of: PlainTextReader.newline)
        return id == Vocabulary.unknown ? nil : id
    }

    /// A line of text as the model reads it (the tokens, without a line end).
    public func encode(_ text: String) -> [Int32] { vocabulary.encode(tokenizer.tokenizeAnswer(text)) }

    /// The text of generated ids: line ends as line ends, words joined as the tokenizer joins them.
    public func text(of ids: [Int32]) -> String {
        let tokens = ids.map { vocabulary.tokens[Int($0)] }
        return tokens.split(separator: PlainTextReader.newline, omittingEmptySubsequences: false)
            .map { tokenizer.detokenize(Array($0)) }.joined(separator: "\n")
    }

    /// Marks written straight after the word before them, when words are streamed.
    public static let noSpaceBefore: Set<String> = [",", ".", "!", "?", ";", ":", ")", "'"]

    public func generator(_ settings: DecodingSettings) -> TextGenerator { TextGenerator(model: network, settings: settings) }

    /// Generates up to `length` tokens after `prompt`, handing each one's text to `emit` as
    /// it is drawn; stops early at a line end when `stopAtLineEnd`.
    public func continueText(_ prompt: String, length: Int, settings: DecodingSettings, stopAtLineEnd: Bool,
                      emit: (String) -> Void) {
        continueText(prompt, length: length, generator: generator(settings), stopAtLineEnd: stopAtLineEnd, emit: emit)
    }

    /// The same with a generator of its own, whose sampling goes on from where it was (the
    /// state it read is forgotten first).
    public func continueText(_ prompt: String, length: Int, generator: TextGenerator, stopAtLineEnd: Bool, emit: (String) -> Void) {
        generator.reset()
        generator.read(newline.map { [$0] } ?? [])  // a prompt starts a line
        let promptIDs = encode(prompt)
        generator.read(promptIDs)
        var previousWasWord = !promptIDs.isEmpty  // a word goes on from the prompt after a space
        for _ in 0..<length {
            let id = generator.next(startingAfter: newline)
            if id == newline {
                if stopAtLineEnd { return }
                emit("\n"); previousWasWord = false
                continue
            }
            let token = vocabulary.tokens[Int(id)]
            // Words need a space between them (as written, ▁ says where); characters carry their own.
            if tokenizer.kind == .word && tokenizer.keepsText {
                let (word, spaced) = Tokenizer.unmarked(token)
                emit((spaced && previousWasWord ? " " : "") + word)
                previousWasWord = true
            } else if tokenizer.kind == .word {
                emit((previousWasWord && !Self.noSpaceBefore.contains(token) ? " " : "") + token)
                previousWasWord = true
            } else {
                emit(token)
            }
        }
    }
}

