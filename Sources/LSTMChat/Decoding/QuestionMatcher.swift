import Foundation

/// Matches a question asked in other words to the known question it means: TF-IDF cosine over
/// the words (rare words counting most), on the words as people mean them
/// (`QuestionWords.normalized`, on both sides: "what's" → "what is", "u" → "you", "jokes" →
/// "joke", "winnie-the-pooh" → "winnie the pooh", marks left out), with the common function words
/// ("what", "is", "you", …) counting half. A question the vocabulary lacks words of still matches
/// by them ("whats", "ur").
///
/// On `datasets/chatterbot-english-reworded.tsv` with the bundled model (`lstmchat eval
/// --keywords`): 73 of 95 answered right with the same cosine over token ids at 0.5, 81 with this
/// matcher at 0.44 (79 at 0.5). Of the 72 questions of `chatterbot-english-unrelated.txt`, none is
/// matched by the cosine over ids at 0.5; this matcher matches 4 at 0.44 (the threshold was chosen
/// on these two sets: 0.40 matches 9). Mixing in the cosine of the encoder's final states
/// (`QuestionMemory`) with weight w lowered the reworded score at every w tried (0.2, 0.3, 0.5;
/// at 0.5 similarity, w 0.2: 74 → 67), so the model's states are not used.
///
/// Built for millions of known questions: the words are numbered once, from the vocabulary (each
/// token's words, in the order of the words' text, so that sums run in the same order as over
/// the text), and each word's known questions and their weights in them are one flat list
/// (an inverted index): a model trained on 500,000 pairs loads its matcher in a fraction of a
/// second, where a dictionary of strings per question took most of a minute.
public struct QuestionMatcher: Sendable {
    public let known: KnownQuestions
    private let vocabulary: Vocabulary
    /// Every word of the vocabulary's tokens as `QuestionWords.normalized` writes it, by id: ids
    /// follow the words' order as text.
    private let wordIDs: [String: Int32]
    /// Per word: its TF-IDF weight among the known questions.
    private let weights: [Float]
    private let unseenWeight: Float
    /// Word w's known questions, `holders[holderStarts[w] ..< holderStarts[w + 1]]`, and its value
    /// in each one's normalised TF-IDF vector beside it in `values`.
    private let holderStarts: [Int], holders: [Int32], values: [Float]

    /// Similarity at and above which a question is matched.
    public static let defaultThreshold: Float = 0.44
    /// The weight of a function word relative to its TF-IDF weight.
    public static let functionWordWeight: Float = 0.5

    public init(known: KnownQuestions, vocabulary: Vocabulary) {
        self.known = known
        self.vocabulary = vocabulary
        let tokenText = vocabulary.tokens.map { QuestionWords.normalized([$0]) }
        let words = Set(tokenText.joined()).sorted()
        let wordIDs = Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, Int32($0)) })
        // Vocabulary token t's words: `tokenWords[tokenStarts[t] ..< tokenStarts[t + 1]]`.
        var tokenWords: [Int32] = [], tokenStarts = [0]
        for text in tokenText {
            tokenWords += text.map { wordIDs[$0]! }
            tokenStarts.append(tokenWords.count)
        }
        let isFunctionWord = words.map(QuestionWords.functionWords.contains)

        // Question i's distinct words in id order, and how often each occurs in it.
        let questions = known.questions
        var scratch: [Int32] = []
        func eachWord(of i: Int, _ body: (_ word: Int, _ count: Float) -> Void) {
            scratch.removeAll(keepingCapacity: true)
            questions.withList(i) { for t in $0 { scratch += tokenWords[tokenStarts[Int(t)]..<tokenStarts[Int(t) + 1]] } }
            scratch.sort()
            var k = 0
            while k < scratch.count {
                var end = k + 1
                while end < scratch.count, scratch[end] == scratch[k] { end += 1 }
                body(Int(scratch[k]), Float(end - k))
                k = end
            }
        }
        var holding = [Int](repeating: 0, count: words.count)
        for i in questions.indices { eachWord(of: i) { w, _ in holding[w] += 1 } }
        let n = Float(questions.count)
        let weights = holding.map { 1 + log((n + 1) / (Float($0) + 1)) }

        var holderStarts = [0]; holderStarts.reserveCapacity(words.count + 1)
        for count in holding { holderStarts.append(holderStarts.last! + count) }
        var next = Array(holderStarts.dropLast())
        var holders = [Int32](repeating: 0, count: holderStarts.last!), values = [Float](repeating: 0, count: holderStarts.last!)
        var vector: [(word: Int, x: Float)] = []
        for i in questions.indices {
            vector.removeAll(keepingCapacity: true)
            var squares: Float = 0
            eachWord(of: i) { w, count in
                let x = count * weights[w] * (isFunctionWord[w] ? Self.functionWordWeight : 1)
                vector.append((w, x))
                squares += x * x
            }
            let norm = squares.squareRoot()
            for (w, x) in vector {
                holders[next[w]] = Int32(i)
                values[next[w]] = x / norm
                next[w] += 1
            }
        }
        (self.wordIDs, self.weights, unseenWeight) = (wordIDs, weights, 1 + log(n + 1))
        (self.holderStarts, self.holders, self.values) = (holderStarts, holders, values)
    }

    /// The nearest known question (its index in `known.questions`) to `tokens`, a question as the
    /// tokenizer wrote it, and their similarity in [0, 1]; nil when none shares a word.
    public func nearest(_ tokens: [String]) -> (index: Int, similarity: Float)? {
        if let i = known.index(of: vocabulary.encode(tokens)) { return (i, 1) }
        let v = vector(QuestionWords.normalized(tokens))
        var scores = [Float](repeating: 0, count: known.questions.count), touched: [Int] = []
        // Words in order: sums in the same order in every process (dictionaries' order is not).
        for (w, x) in v.sorted(by: { $0.key < $1.key }) {
            guard let id = wordIDs[w].map(Int.init) else { continue }
            for k in holderStarts[id]..<holderStarts[id + 1] {
                let i = Int(holders[k])
                if scores[i] == 0 { touched.append(i) }
                scores[i] += x * values[k]
            }
        }
        // Ties go to the question seen first: the same answer on every machine.
        guard let best = touched.max(by: { (scores[$0], -$0) < (scores[$1], -$1) }) else { return nil }
        return (best, min(scores[best], 1))
    }

    /// The ids the model should be asked: the nearest known question when it is at least
    /// `threshold` similar, else `tokens` as they are.
    public func match(_ tokens: [String], threshold: Float = defaultThreshold) -> [Int32] {
        guard let (i, similarity) = nearest(tokens), similarity >= threshold else { return vocabulary.encode(tokens) }
        return known.questions[i]
    }

    /// A question's normalised TF-IDF vector, by word.
    private func vector(_ words: [String]) -> [String: Float] {
        var v: [String: Float] = [:], squares: Float = 0
        for w in words { v[w, default: 0] += 1 }
        for (w, count) in v.sorted(by: { $0.key < $1.key }) {
            let id = wordIDs[w].map(Int.init)
            let x = count * (id.map { weights[$0] } ?? unseenWeight) * (QuestionWords.functionWords.contains(w) ? Self.functionWordWeight : 1)
            v[w] = x
            squares += x * x
        }
        guard squares > 0 else { return [:] }
        let norm = squares.squareRoot()
        return v.mapValues { $0 / norm }
    }
}

/// The words of a question as people mean them: contractions and common short forms written out
/// ("what's" → "what is", "i'm" → "i am", "u" → "you", "r" → "are", "pls" → "please"), British
/// spellings of common words as American ("favourite" → "favorite"); words joined by hyphens
/// apart ("winnie-the-pooh"); a plural's "s" dropped (words of more than 3 letters ending in one
/// "s"); marks (tokens with no letter or digit) left out. Lowercase tokens in, as `Tokenizer`
/// writes them (a word's `▁` left out). For matching only: the model reads questions as they were typed.
public enum QuestionWords {
    /// Words too common to say which question is meant; they count less in matching.
    public static let functionWords: Set<String> = [
        "what", "is", "the", "a", "an", "are", "you", "do", "doe", "of", "to", "in", "how", "who", "which", "where", "when",
        "why", "i", "your", "my", "me", "it", "that", "thi", "be", "was", "for", "on",
    ]

    public static let expansions: [String: [String]] = {
        var map: [String: [String]] = [:]
        for (short, long) in [
            ("what's", "what is"), ("whats", "what is"), ("who's", "who is"), ("whos", "who is"), ("where's", "where is"),
            ("wheres", "where is"), ("when's", "when is"), ("how's", "how is"), ("hows", "how is"), ("why's", "why is"),
            ("that's", "that is"), ("thats", "that is"), ("it's", "it is"), ("there's", "there is"), ("he's", "he is"),
            ("she's", "she is"), ("let's", "let us"), ("i'm", "i am"), ("im", "i am"), ("you're", "you are"),
            ("youre", "you are"), ("we're", "we are"), ("they're", "they are"), ("i've", "i have"), ("you've", "you have"),
            ("we've", "we have"), ("they've", "they have"), ("i'll", "i will"), ("you'll", "you will"), ("it'll", "it will"),
            ("we'll", "we will"), ("they'll", "they will"), ("i'd", "i would"), ("you'd", "you would"),
            ("isn't", "is not"), ("isnt", "is not"), ("aren't", "are not"), ("wasn't", "was not"), ("weren't", "were not"),
            ("don't", "do not"), ("dont", "do not"), ("doesn't", "does not"), ("doesnt", "does not"), ("didn't", "did not"),
            ("didnt", "did not"), ("can't", "can not"), ("cant", "can not"), ("cannot", "can not"), ("won't", "will not"),
            ("wont", "will not"), ("wouldn't", "would not"), ("shouldn't", "should not"), ("couldn't", "could not"),
            ("haven't", "have not"), ("hasn't", "has not"), ("ain't", "is not"),
            ("u", "you"), ("ya", "you"), ("r", "are"), ("ur", "your"), ("yr", "your"), ("pls", "please"), ("plz", "please"),
            ("thx", "thanks"), ("thanx", "thanks"), ("wat", "what"), ("wut", "what"), ("wanna", "want to"),
            ("gonna", "going to"), ("gotta", "got to"), ("luv", "love"), ("bday", "birthday"), ("b4", "before"),
            ("abt", "about"), ("cuz", "because"), ("coz", "because"), ("bc", "because"), ("k", "ok"), ("okay", "ok"),
            ("favourite", "favorite"), ("favourites", "favorites"), ("colour", "color"), ("colours", "colors"),
            ("honour", "honor"), ("humour", "humor"), ("behaviour", "behavior"),
        ] { map[short] = long.split(separator: " ").map(String.init) }
        return map
    }()

    public static func normalized(_ tokens: [String]) -> [String] {
        var words: [String] = []
        for token in tokens {
            for part in Tokenizer.unmarked(token).text.split(separator: "-") where part.contains(where: { $0.isLetter || $0.isNumber }) {
                for word in expansions[String(part)] ?? [String(part)] { words.append(stem(word)) }
            }
        }
        return words
    }

    /// "jokes" → "joke", "does" → "doe"; "is", "was", "class" unchanged.
    static func stem(_ word: String) -> String {
        guard word.count > 3, word.hasSuffix("s"), !word.hasSuffix("ss") else { return word }
        return String(word.dropLast())
    }
}
