/// Splits text into the tokens the model reads and joins tokens back into text.
///
/// `word`: lowercased words, numbers and punctuation marks. An apostrophe or hyphen between
/// letters stays inside the word ("don't", "i'm", "well-known"); a `.`, `,` or `:` between digits
/// stays inside the number ("3.14", "1,000", "10:30"); every other mark is a token of its own.
/// `char`: lowercased characters, with each run of whitespace as one `" "` token.
///
/// Text is normalized on the way: `detokenize(tokenize(s))` is `s` lowercased, with whitespace
/// collapsed and spaces around punctuation put in their usual places.
///
/// Questions go through `tokenizeQuestion`, which also drops the marks that end them (`?`, `.`,
/// `!`, in any number): people type "what is ai", "What is AI?" and "what is AI ." for one
/// question, and a model should not answer them differently. Training and asking both use it;
/// models trained before it (their checkpoints do not say `normalizesQuestions`) are asked their
/// questions as typed, as they were trained.
public struct Tokenizer: Equatable, Codable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case word, char
    }

    public let kind: Kind
    /// Whether `tokenizeQuestion` drops a question's final punctuation.
    public let normalizesQuestions: Bool

    public init(kind: Kind, normalizesQuestions: Bool = true) {
        self.kind = kind
        self.normalizesQuestions = normalizesQuestions
    }

    /// The marks that may end a question without changing it.
    static let finalPunctuation: Set<String> = ["?", ".", "!", " "]

    /// A question's tokens: `tokenize`, then (when `normalizesQuestions`) without the `?`, `.`
    /// and `!` it ends with, unless they are all it holds.
    public func tokenizeQuestion(_ text: String) -> [String] {
        var tokens = tokenize(text)
        guard normalizesQuestions else { return tokens }
        let end = tokens.lastIndex { !Self.finalPunctuation.contains($0) }
        if let end { tokens.removeSubrange((end + 1)...) }
        return tokens
    }

    public func tokenize(_ text: String) -> [String] {
        switch kind {
        case .word: return Self.words(in: text)
        case .char: return Self.characters(in: text)
        }
    }

    public func detokenize(_ tokens: [String]) -> String {
        switch kind {
        case .word: return Self.joinWords(tokens)
        case .char: return tokens.joined()
        }
    }

    // MARK: - Words

    static func words(in text: String) -> [String] {
        // The typographic apostrophe is common in pasted text; one spelling keeps "don’t" and "don't" one word.
        let characters = Array(text.lowercased().replacingOccurrences(of: "\u{2019}", with: "'"))
        func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

        var tokens: [String] = []
        var i = 0
        while i < characters.count {
            let c = characters[i]
            if c.isWhitespace { i += 1; continue }
            guard isWordCharacter(c) else {
                tokens.append(String(c))
                i += 1
                continue
            }
            let start = i
            i += 1
            while i < characters.count {
                if isWordCharacter(characters[i]) { i += 1; continue }
                // A joiner continues the word only when a word character follows it.
                guard i + 1 < characters.count, isWordCharacter(characters[i + 1]) else { break }
                let joinsWords = characters[i] == "'" || characters[i] == "-"
                let joinsDigits = ".,:".contains(characters[i]) && characters[i - 1].isNumber && characters[i + 1].isNumber
                guard joinsWords || joinsDigits else { break }
                i += 2
            }
            tokens.append(String(characters[start..<i]))
        }
        return tokens
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
