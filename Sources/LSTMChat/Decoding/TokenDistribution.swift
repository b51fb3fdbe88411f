import CKernels
import Foundation

/// Next-token distributions from one row of logits, over the tokens decoding may choose.
///
/// `mask[v]` is 0 for a token that may be chosen and −∞ for one that may not (`<pad>`, `<bos>`,
/// `<unk>` unless allowed), so forbidden tokens get probability exactly 0.
enum TokenDistribution {
    /// What decoding reads off one row of logits: the most likely allowed token, and the
    /// normalizer of the allowed tokens' softmax (`largest`, `logSum`: log p(v) = logit[v] −
    /// largest − logSum), and its entropy when asked for (else NaN). One vectorized pass for the
    /// choice, one more (exp) for the rest (`lstmchat_distribution`): a greedy step's choice, its
    /// log-probability and the confidence's entropy share them.
    struct Summary {
        var token: Int32
        var largest: Float
        var logSum: Float
        var entropy: Float

        /// log p(token) of an allowed token.
        func logP(_ logits: UnsafePointer<Float>, _ token: Int32) -> Float { logits[Int(token)] - largest - logSum }
        /// log p of the most likely token.
        func logP(_ logits: UnsafePointer<Float>) -> Float { logP(logits, token) }
    }

    static func summary(_ logits: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int, entropy: Bool = false) -> Summary {
        var s = Summary(token: 0, largest: 0, logSum: 0, entropy: .nan)
        if entropy {
            lstmchat_distribution(Int32(count), logits, mask, &s.token, &s.largest, &s.logSum, &s.entropy)
        } else {
            lstmchat_distribution(Int32(count), logits, mask, &s.token, &s.largest, &s.logSum, nil)
        }
        return s
    }

    /// The largest allowed logit and log Σ exp(logit − max) over the allowed tokens, so that
    /// log p(v) = logit[v] − max − logSum. Subtracting the maximum keeps exp from overflowing.
    static func normalizer(_ logits: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int) -> (max: Float, logSum: Float) {
        let s = summary(logits, mask: mask, count: count)
        return (s.largest, s.logSum)
    }

    /// log-softmax over the allowed tokens, −∞ for the others.
    static func logSoftmax(_ logits: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let (largest, logSum) = normalizer(logits, mask: mask, count: count)
        for v in 0..<count { out[v] = logits[v] + mask[v] - largest - logSum }
    }

    /// The allowed token with the largest logit (the lowest id among equals).
    static func argmax(_ logits: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int) -> Int32 {
        var best: Int32 = 0
        lstmchat_distribution(Int32(count), logits, mask, &best, nil, nil, nil)
        return best
    }

    /// The tokens sampling draws from, most likely first: the allowed tokens after `temperature`,
    /// cut to the `topK` most likely (0: no cut), then to the fewest whose probabilities, renormalised
    /// after the top-k cut, sum to at least `topP`. Writes their ids to `ids` and their probabilities,
    /// renormalised over the candidates, to `probabilities`; returns how many there are.
    /// `weights` is scratch space of `count` floats. Allocates nothing.
    static func samplingCandidates(
        _ logits: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int,
        temperature: Float, topK: Int, topP: Float,
        ids: UnsafeMutablePointer<Int32>, probabilities: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>
    ) -> Int {
        // (logit − max) / T rather than logit / T − max / T: a tiny T then sends every other token
        // to −∞ (probability 0) instead of overflowing to ∞ − ∞ = NaN.
        var largest = -Float.infinity
        for v in 0..<count { largest = max(largest, logits[v] + mask[v]) }
        var allowed = 0
        for v in 0..<count where mask[v] == 0 {
            weights[v] = exp((logits[v] - largest) / temperature)
            ids[allowed] = Int32(v)
            allowed += 1
        }
        var sorted = UnsafeMutableBufferPointer(start: ids, count: allowed)
        sorted.sort { a, b in
            let wa: Float = weights[Int(a)], wb: Float = weights[Int(b)]
            return wa > wb || (wa == wb && a < b)
        }

        let kept = topK > 0 ? min(topK, allowed) : allowed
        var total: Float = 0
        for i in 0..<kept { total += weights[Int(ids[i])] }
        var chosen = kept
        if topP < 1 {
            var mass: Float = 0
            for i in 0..<kept {
                mass += weights[Int(ids[i])] / total
                if mass >= topP {
                    chosen = i + 1
                    break
                }
            }
        }
        var chosenTotal: Float = 0
        for i in 0..<chosen { chosenTotal += weights[Int(ids[i])] }
        for i in 0..<chosen { probabilities[i] = weights[Int(ids[i])] / chosenTotal }
        return chosen
    }
}
