/// Splits text into the tokens the model reads and joins tokens back into text.
///
/// `word`: words, numbers and punctuation marks. An apostrophe or hyphen between letters stays
/// inside the word ("don't", "i'm", "well-known"); a `.`, `,` or `:` between digits stays inside
/// the number ("3.14", "1,000", "10:30"); every other mark is a token of its own.
/// `char`: characters (grapheme clusters).
///
/// Questions are normalized (`tokenizeQuestion`), since people type them loosely: lowercased,
/// whitespace collapsed, and the marks that end them (`?`, `.`, `!`, in any number) dropped, so
/// "what is ai", "What is AI?" and "what is AI ." are one question (models trained before that,
/// whose checkpoints do not say `normalizesQuestions`, are asked their questions as typed).
///
/// Answers (`tokenizeAnswer`), and a language model's text, are kept as written when `keepsText`
/// (models trained since it): `detokenize(tokenizeAnswer(s))` is `s` with the whitespace at its end dropped — case,
/// `<=`, `bubble_sort(arr)`, ```` ``` ````, line breaks and indentation. As in SentencePiece, a
/// token that follows one space starts with `▁` (U+2581; the text's start counts as a space);
/// any other run of whitespace ("\n", "\n    ", two spaces) is a token of its own. A
/// `keepsText` tokenizer writes its questions' words with `▁` too (marks without: their spacing
/// is normalized away), so that questions and answers share the tokens of their common words in
/// the one vocabulary; a question's case and spacing still do not count.
///
/// Without `keepsText` (models from before it), answers are read as questions are, lowercased
/// with whitespace collapsed, and `detokenize` puts spaces around punctuation in their usual places.
public struct Tokenizer: Equatable, Codable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case word, char
    }

    public let kind: Kind
    /// Whether `tokenizeQuestion` drops a question's final punctuation.
    public let normalizesQuestions: Bool
    /// Whether answers are tokenized as written (see above).
    public let keepsText: Bool

    public init(kind: Kind, normalizesQuestions: Bool = true, keepsText: Bool = false) {
        self.kind = kind
        self.normalizesQuestions = normalizesQuestions
        self.keepsText = keepsText
    }

    /// The mark of a token that follows one space, when `keepsText`.
    public static let space: Character = "\u{2581}"

    /// The marks that may end a question without changing it.
    static let finalPunctuation: Set<String> = ["?", ".", "!", " "]

    /// A question's tokens: `tokenize`, then (when `normalizesQuestions`) without the `?`, `.`
    /// and `!` it ends with, unless they are all it holds; its words marked with `▁` when `keepsText`.
    public func tokenizeQuestion(_ text: String) -> [String] {
        var tokens = tokenize(text)
        if normalizesQuestions, let end = tokens.lastIndex(where: { !Self.finalPunctuation.contains($0) }) {
            tokens.removeSubrange((end + 1)...)
        }
        guard keepsText, kind == .word else { return tokens }
        return tokens.map { $0.first.map(Self.isWordCharacter) == true ? String(Self.space) + $0 : $0 }
    }

    /// An answer's tokens (or a language model's text): as written when `keepsText`, else as
    /// `tokenize` reads them.
    public func tokenizeAnswer(_ text: String) -> [String] {
        guard keepsText else { return tokenize(text) }
        switch kind {
        case .word: return Self.writtenWords(in: text)
        case .char: return Self.writtenCharacters(in: text)
        }
    }

    /// Normalized tokens: lowercased, whitespace dropped (`word`) or collapsed (`char`).
    public func tokenize(_ text: String) -> [String] {
        switch kind {
        case .word: return Self.words(in: text)
        case .char: return Self.characters(in: text)
        }
    }

    public func detokenize(_ tokens: [String]) -> String {
        switch kind {
        case .word: return keepsText ? Self.joinWritten(tokens) : Self.joinWords(tokens)
        case .char: return tokens.joined()
        }
    }

    /// A token without the `▁` that says a space came before it ("▁hello" → "hello"), and
    /// whether it had one. (By code points: the mark U+2581 alone is a token of its own.)
    public static func unmarked(_ token: String) -> (text: String, spaced: Bool) {
        let scalars = token.unicodeScalars
        guard scalars.count > 1, scalars.first == space.unicodeScalars.first else { return (token, false) }
        return (String(scalars.dropFirst()), true)
    }

    // MARK: - Words as written

    static func writtenWords(in text: String) -> [String] {
        let characters = Array(text)
        var tokens: [String] = []
        var gap = " "  // the whitespace before the next token; the text's start counts as a space
        var i = 0
        while i < characters.count {
            if characters[i].isWhitespace {
                gap.append(characters[i])
                i += 1
                continue
            }
            let end = wordEnd(characters, from: i)
            let token = String(characters[i..<end])
            switch gap {
            case " ": tokens.append(String(space) + token)
            case "": tokens.append(token)
            default:
                tokens.append(tokens.isEmpty ? String(gap.dropFirst()) : gap)
                tokens.append(token)
            }
            gap = ""
            i = end
        }
        return tokens  // whitespace at the end dropped
    }

    static func joinWritten(_ tokens: [String]) -> String {
        var text = ""
        for (i, token) in tokens.enumerated() {
            let (word, spaced) = unmarked(token)
            // The first token's space is the text's start.
            if spaced && i > 0 { text += " " }
            text += word
        }
        return text
    }

    static func writtenCharacters(in text: String) -> [String] {
        var tokens = text.map(String.init)
        while let last = tokens.last, last.first!.isWhitespace { tokens.removeLast() }
        return tokens
    }

    // MARK: - Words

    static func words(in text: String) -> [String] {
        // The typographic apostrophe is common in pasted text; one spelling keeps "don’t" and "don't" one word.
        let characters = Array(text.lowercased().replacingOccurrences(of: "\u{2019}", with: "'"))

        var tokens: [String] = []
        var i = 0
        while i < characters.count {
            if characters[i].isWhitespace { i += 1; continue }
            let end = wordEnd(characters, from: i)
            tokens.append(String(characters[i..<end]))
            i = end
        }
        return tokens
    }

    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    /// The end of the token that starts at `start` (not whitespace): a word or number with its
    /// joiners, or one mark.
    static func wordEnd(_ characters: [Character], from start: Int) -> Int {
        guard isWordCharacter(characters[start]) else { return start + 1 }
        var i = start + 1
        while i < characters.count {
            if isWordCharacter(characters[i]) { i += 1; continue }
            // A joiner continues the word only when a word character follows it.
            guard i + 1 < characters.count, isWordCharacter(characters[i + 1]) else { break }
            let joinsWords = characters[i] == "'" || characters[i] == "\u{2019}" || characters[i] == "-"
            let joinsDigits = ".,:".contains(characters[i]) && characters[i - 1].isNumber && characters[i + 1].isNumber
            guard joinsWords || joinsDigits else { break }
            i += 2
        }
        return i
    }

    /// Marks written straight after the word before them.
    static let noSpaceBefore: Set<String> = [",", ".", "!", "?", ";", ":", ")", "]", "}", "'", "%", "…", "»"]
    /// Marks written straight before the word after them.
    static let noSpaceAfter: Set<String> = ["(", "[", "{", "¿", "¡", "«"]

    static func joinWords(_ tokens: [String]) -> String {
        var text = ""
        var spaceAllowed = false  // none before the first token
        var insideQuotes = false
        for token in tokens {
            var spaceBefore = spaceAllowed && !noSpaceBefore.contains(token)
            var spaceAfter = !noSpaceAfter.contains(token)
            if token == "\"" {
                // Straight double quotes alternate: an opening one hugs the next word, a closing one the last.
                if insideQuotes { spaceBefore = false } else { spaceAfter = false }
                insideQuotes.toggle()
            }
            if spaceBefore { text += " " }
            text += token
            spaceAllowed = spaceAfter
        }
        return text
    }

    // MARK: - Characters

    static func characters(in text: String) -> [String] {
        var tokens: [String] = []
        for c in text.lowercased() {
            if c.isWhitespace {
                // Runs of whitespace become one space, and none at either end.
                if let last = tokens.last, last != " " { tokens.append(" ") }
            } else {
                tokens.append(String(c))
            }
        }
        if tokens.last == " " { tokens.removeLast() }
        return tokens
    }
}

/// An answer reduced to its words and marks, single-spaced, so that answers can be compared
/// whatever their case and spacing ("Hello,  World!" and "hello , world !" are the same).
public func normalizeAnswer(_ text: String) -> String {
    Tokenizer(kind: .word).tokenize(text).joined(separator: " ")
}
