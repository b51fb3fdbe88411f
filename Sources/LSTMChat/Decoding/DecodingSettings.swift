import Foundation

/// How an answer is chosen from the model's next-token distributions.
public struct DecodingSettings: Codable, Equatable, Sendable {
    public enum Strategy: String, Codable, CaseIterable, Sendable {
        /// The most likely token at every step.
        case greedy
        /// A random token at every step, drawn after temperature, top-k and top-p.
        case sample
        /// The `beamWidth` most likely partial answers at every step.
        case beam
    }

    public var strategy: Strategy = .greedy
    /// Divides the logits before sampling: below 1 sharpens the distribution, above 1 flattens it.
    public var temperature: Float = 1
    /// Sampling draws only from the k most likely tokens; 0 means no limit.
    public var topK: Int = 0
    /// Sampling draws only from the fewest most likely tokens whose probabilities sum to at least p
    /// (nucleus sampling); 1 means no limit.
    public var topP: Float = 1
    public var beamWidth: Int = 4
    /// Beam search ranks answers by log P / length^α, length counting `<eos>`. α = 0 ranks by the
    /// plain log-probability, which favours short answers since every token costs probability;
    /// α = 1 ranks by the mean log-probability per token, which lets long answers ramble.
    /// 0.7 lies between, in the range GNMT found best (0.6–1).
    public var lengthPenalty: Float = 0.7
    /// The most tokens an answer may have, `<eos>` not counted: room for the bundled corpus's
    /// longest answer (code of 331 tokens).
    public var maxLength: Int = 400
    /// Seeds sampling; nil draws a seed from the system.
    public var seed: UInt64? = nil
    /// Whether answers may contain `<unk>`.
    public var allowUnknown = false
    /// The most times in a row an answer may say the same run of 1…4 tokens ("r. r. r." says
    /// "r." three times); 0: no limit. See `RepeatBlocking`.
    public var maxRepeats: Int = 2
    /// OpenNMT's `block_ngram_repeat`: no n-gram of this many tokens twice in an answer; 0: off
    /// (the default: the corpus's own answers repeat n-grams, code above all).
    public var blockNgramRepeat: Int = 0

    public init() {}

    /// One line for people: "sample, temperature 0.8, top-k 40, top-p 1, max length 40, seed 7".
    public var summary: String {
        var parts = [strategy.rawValue]
        switch strategy {
        case .greedy: break
        case .sample: parts += ["temperature \(Self.format(temperature))", "top-k \(topK == 0 ? "off" : String(topK))",
                                "top-p \(topP >= 1 ? "off" : Self.format(topP))"]
        case .beam: parts += ["width \(beamWidth)", "length penalty \(Self.format(lengthPenalty))"]
        }
        parts.append("max length \(maxLength)")
        if strategy == .sample { parts.append("seed \(seed.map(String.init) ?? "random")") }
        if allowUnknown { parts.append("<unk> allowed") }
        if maxRepeats != 2 { parts.append(maxRepeats > 0 ? "max repeats \(maxRepeats)" : "repeats allowed") }
        if blockNgramRepeat > 0 { parts.append("no repeated \(blockNgramRepeat)-grams") }
        return parts.joined(separator: ", ")
    }

    /// "0.5" rather than "0.50000006".
    static func format(_ value: Float) -> String {
        var text = String(format: "%.4g", Double(value))
        if text.contains("e") { text = String(describing: value) }
        return text
    }
}

/// The ids of the vocabulary's special tokens that decoding treats apart.
public struct SpecialTokenIDs: Equatable, Sendable {
    public var pad: Int32
    public var unknown: Int32
    public var bos: Int32
    public var eos: Int32

    public init(pad: Int32, unknown: Int32, bos: Int32, eos: Int32) {
        self.pad = pad
        self.unknown = unknown
        self.bos = bos
        self.eos = eos
    }

    /// `<pad>` 0, `<unk>` 1, `<bos>` 2, `<eos>` 3: the vocabulary's order.
    public static let standard = SpecialTokenIDs(pad: 0, unknown: 1, bos: 2, eos: 3)
}

/// One generated answer.
public struct GeneratedAnswer: Equatable, Sendable {
    /// The answer's token ids, without `<bos>` and `<eos>`.
    public var tokens: [Int32]
    /// The sum of the log-probabilities the model gave each chosen token (at temperature 1, over
    /// the tokens decoding may choose), `<eos>` included when the answer ended with it.
    public var logProbability: Float
    /// False when the answer was cut at the maximum length before `<eos>`.
    public var finished: Bool

    public init(tokens: [Int32], logProbability: Float, finished: Bool) {
        self.tokens = tokens
        self.logProbability = logProbability
        self.finished = finished
    }

    /// The number of tokens the model chose: the answer's, and `<eos>` if it ended with it.
    public var length: Int { max(1, tokens.count + (finished ? 1 : 0)) }

    /// Beam search's ranking: log P / length^α.
    public func score(lengthPenalty alpha: Float) -> Float {
        logProbability / pow(Float(length), alpha)
    }
}
