/// Which next tokens would make an answer repeat itself, for the decoders to forbid (greedy,
/// sampling and beam search alike, each row by its own answer so far):
///
/// - **Stutter** (`DecodingSettings.maxRepeats`, on by default): a token that would end the answer
///   with the same run of 1…`maxUnit` tokens more than `maxRepeats` times in a row ("j. r. r. r.",
///   "very very very"). A run of marks alone (no letter or digit: ``` ` ` ` ```, `) ) )`) is exempt
///   when the generator knows the tokens' text (`exempt`): code writes them so.
/// - **n-gram repeats** (`DecodingSettings.blockNgramRepeat`, OpenNMT's `block_ngram_repeat`, off
///   by default): a token that would complete an n-gram already present in the answer.
///
/// On the ChatterBot English corpus (1,164 distinct answers), no answer has a run of 2…4 tokens
/// three times in a row, and one ("a a a a", a joke) has a word four times; but 106 have an
/// n-gram twice for n = 3 (55 for n = 4, 22 for n = 8: code, mostly), so OpenNMT's blocking would
/// forbid them their own answers. Stutter blocking is therefore the default.
public struct RepeatBlocking: Sendable {
    /// The longest run of tokens whose repetition counts as a stutter.
    public static let maxUnit = 4

    public let maxRepeats: Int
    public let ngram: Int
    /// Tokens that may repeat in runs of their own (marks: no letter or digit).
    public let exempt: Set<Int32>

    public init(maxRepeats: Int, ngram: Int, exempt: Set<Int32> = []) {
        self.maxRepeats = maxRepeats
        self.ngram = ngram
        self.exempt = exempt
    }

    public init(settings: DecodingSettings, exempt: Set<Int32> = []) {
        self.init(maxRepeats: settings.maxRepeats, ngram: settings.blockNgramRepeat, exempt: exempt)
    }

    public var isOff: Bool { maxRepeats <= 0 && ngram <= 0 }

    /// The ids of the tokens made of marks alone (no letter or digit), which may repeat in runs
    /// of their own.
    public static func marks(in tokens: [String]) -> Set<Int32> {
        Set(tokens.indices.filter { i in !tokens[i].contains { $0.isLetter || $0.isNumber } }.map(Int32.init))
    }

    /// The tokens that may not follow `answer` (at most `maxUnit` + answer.count of them; often none).
    public func forbidden(after answer: UnsafeBufferPointer<Int32>) -> [Int32] {
        var tokens: [Int32] = []
        let m = answer.count
        if maxRepeats > 0 {
            // The answer plus x ends with a unit of u tokens maxRepeats + 1 times in a row when x
            // equals answer[m − u] and the answer's last maxRepeats·u − 1 tokens already repeat with period u.
            for u in 1...Self.maxUnit where m + 1 >= (maxRepeats + 1) * u {
                let x = answer[m - u]
                var repeats = true
                for i in (m + 1 - maxRepeats * u)..<m where answer[i] != answer[i - u] { repeats = false; break }
                guard repeats else { continue }
                // A unit of marks alone may repeat: its tokens are answer[m − u + 1 ..< m] and x.
                if !exempt.isEmpty, (m - u..<m).allSatisfy({ exempt.contains(answer[$0]) }) { continue }
                tokens.append(x)
            }
        }
        if ngram > 0, m >= ngram - 1 {
            let n = ngram, prefix = m - (n - 1)  // the last n − 1 tokens start at prefix
            // Every earlier n-gram whose first n − 1 tokens are the answer's last n − 1 forbids its last token.
            var start = 0
            while start + n <= m {
                var same = true
                for k in 0..<(n - 1) where answer[start + k] != answer[prefix + k] { same = false; break }
                if same { tokens.append(answer[start + n - 1]) }
                start += 1
            }
        }
        return tokens
    }

    public func forbidden(after answer: [Int32]) -> [Int32] {
        answer.withUnsafeBufferPointer { forbidden(after: $0) }
    }

    /// Sets the forbidden tokens of `answer` to −∞ in `mask`, runs `body`, and puts them back.
    /// `<eos>` is never forbidden.
    func masking<R>(_ mask: inout [Float], after answer: UnsafeBufferPointer<Int32>, eos: Int32, _ body: (UnsafePointer<Float>) -> R) -> R {
        masking(&mask, after: answer, eos: eos) { m, _ in body(m) }
    }

    /// The same, telling `body` whether a token `mask` allowed is forbidden now.
    func masking<R>(_ mask: inout [Float], after answer: UnsafeBufferPointer<Int32>, eos: Int32,
                    _ body: (UnsafePointer<Float>, _ blocked: Bool) -> R) -> R {
        guard !isOff, !answer.isEmpty else { return mask.withUnsafeBufferPointer { body($0.baseAddress!, false) } }
        let tokens = forbidden(after: answer).filter { $0 != eos && Int($0) < mask.count }
        guard !tokens.isEmpty else { return mask.withUnsafeBufferPointer { body($0.baseAddress!, false) } }
        let saved = tokens.map { mask[Int($0)] }
        for t in tokens { mask[Int(t)] = -.infinity }
        defer { for (t, v) in zip(tokens, saved).reversed() { mask[Int(t)] = v } }
        return mask.withUnsafeBufferPointer { body($0.baseAddress!, saved.contains { $0 > -.infinity }) }
    }
}
