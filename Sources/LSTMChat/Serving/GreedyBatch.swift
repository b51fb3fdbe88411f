import Foundation

/// Greedy answers decoded step by step in one batch that questions join between any two steps
/// (`InferenceSession.admit`) and leave when their answer ends: a server's continuous batching,
/// where a long answer does not hold back the questions that arrive while it is decoded.
///
/// Each answer is the one `AnswerGenerator` gives the question alone with its settings (repeats
/// forbidden, `<unk>` allowed or not, its length limit), and its confidence the one
/// `AnswerConfidence.of` gives, read from the same decoding: the confidence follows the greedy
/// answer without repeat blocking and without `<unk>`, for 3 steps (60 for a question the model
/// knows), which is the answer's own path unless blocking turns it aside or the answer stops
/// first. Then the confidence is nil: the caller measures it apart.
final class GreedyBatch {
    struct Row {
        /// The caller's name for it.
        let id: Int
        let question: [Int32]
        let settings: DecodingSettings
        /// Told each token added to the answer (the answer so far) and, once it is known, the
        /// least the confidence can be (`AnswerConfidence`: the certainty of the first steps).
        let onToken: ((_ answer: [Int32], _ leastConfidence: Float?) -> Void)?
        fileprivate var blocking: RepeatBlocking
        fileprivate var known = false, limit = 0
        fileprivate var answer: [Int32] = [], logP: Float = 0, finished = false
        // The confidence's entropies and chosen log-probabilities while it follows the answer.
        fileprivate var entropies: [Float] = [], chosen: [Float] = [], following = true

        init(id: Int, question: [Int32], settings: DecodingSettings,
             onToken: ((_ answer: [Int32], _ leastConfidence: Float?) -> Void)? = nil) {
            self.id = id
            self.question = question
            self.settings = settings
            self.onToken = onToken
            blocking = RepeatBlocking(settings: settings)
        }
    }

    struct Done {
        let id: Int
        let answer: GeneratedAnswer
        /// nil when the confidence's path parted from the answer's: measure it apart.
        let confidence: Float?
    }

    private let model: ChatModel
    private let session: InferenceSession
    private var rows: [Row] = [], tokens: [Int32] = [], kept: [Int] = []
    private var masks: [[Float]]
    private let plain: [Float]  // the confidence's: no <unk>, nothing blocked

    init(model: ChatModel, session: InferenceSession) {
        self.model = model
        self.session = session
        masks = [false, true].map { AnswerGenerator.mask(vocabSize: model.network.config.vocabSize, specials: model.specials, allowUnknown: $0) }
        plain = masks[0]
    }

    /// The questions being decoded.
    var count: Int { rows.count }

    /// Adds questions to the batch; their first step is the next `step`.
    func admit(_ new: [Row]) {
        guard !new.isEmpty else { return }
        let exempt = model.repeatExempt
        if rows.isEmpty { session.encode(questions: new.map(\.question)) } else { session.admit(questions: new.map(\.question)) }
        for var row in new {
            row.blocking = RepeatBlocking(settings: row.settings, exempt: exempt)
            row.known = model.knownQuestions?.contains(row.question) ?? false
            // The confidence's decoding ends at <eos> or after this many tokens (`AnswerConfidence.of`).
            row.limit = row.known ? max(60, AnswerConfidence.steps) : AnswerConfidence.steps
            rows.append(row)
            tokens.append(model.specials.bos)
        }
    }

    /// One token for every question; returns those whose answer ended, which leave the batch.
    func step() -> [Done] {
        guard !rows.isEmpty else { return [] }
        let V = model.network.config.vocabSize, eos = model.specials.eos
        let z = session.step(tokens).baseAddress!
        var done: [Done] = []
        kept.removeAll(keepingCapacity: true)
        for r in rows.indices {
            let token = choose(&rows[r], z + r * V, V: V, eos: eos)
            if token != eos {
                rows[r].answer.append(token)
                if rows[r].answer.count < rows[r].settings.maxLength {
                    tokens[r] = token
                    kept.append(r)
                    rows[r].onToken?(rows[r].answer, leastConfidence(rows[r]))
                    continue
                }
            }
            done.append(finish(rows[r]))
        }
        guard kept.count < rows.count else { return done }
        if kept.isEmpty {
            rows.removeAll(keepingCapacity: true)
            tokens.removeAll(keepingCapacity: true)
        } else {
            // Ended rows leave: the open ones move up, in order (kept is increasing).
            session.reorder(kept)
            for (i, r) in kept.enumerated() { rows.swapAt(i, r); tokens[i] = tokens[r] }
            rows.removeLast(rows.count - kept.count)
            tokens.removeLast(tokens.count - kept.count)
        }
        return done
    }

    /// The row's next token, its log-probability and the confidence's step: one pass over the
    /// logits for the answer's step and, when its mask is the confidence's (no `<unk>`, nothing
    /// blocked), for the confidence's too.
    private func choose(_ row: inout Row, _ z: UnsafePointer<Float>, V: Int, eos: Int32) -> Int32 {
        let confidence = row.following && row.chosen.count < row.limit, entropy = AnswerConfidence.wantsEntropy(row.entropies)
        let allowUnknown = row.settings.allowUnknown
        let (step, plainToo) = row.answer.withUnsafeBufferPointer { answer in
            row.blocking.masking(&masks[allowUnknown ? 1 : 0], after: answer, eos: eos) { m, blocked in
                let plainToo = !allowUnknown && !blocked
                return (TokenDistribution.summary(z, mask: m, count: V, entropy: confidence && plainToo && entropy), plainToo)
            }
        }
        if confidence {
            let plainStep = plainToo ? step : plain.withUnsafeBufferPointer {
                TokenDistribution.summary(z, mask: $0.baseAddress!, count: V, entropy: entropy)
            }
            if plainStep.token != step.token {
                row.following = false
            } else {
                AnswerConfidence.record(plainStep, logits: z, token: step.token, entropies: &row.entropies, chosen: &row.chosen)
            }
        }
        row.logP += step.logP(z)
        if step.token == eos { row.finished = true }
        return step.token
    }

    /// The confidence can be no less than the certainty of its first steps, once they are read.
    private func leastConfidence(_ row: Row) -> Float? {
        guard row.onToken != nil, row.entropies.count >= AnswerConfidence.steps else { return nil }
        return AnswerConfidence.of(row.question, entropies: row.entropies, chosenLogP: [], isKnown: false, unknown: model.specials.unknown)
    }

    private func finish(_ row: Row) -> Done {
        let answer = GeneratedAnswer(tokens: row.answer, logProbability: row.logP, finished: row.finished)
        // Complete when it ended where its own decoding would: at <eos>, or at its limit.
        guard row.following, row.finished || row.chosen.count >= row.limit else { return Done(id: row.id, answer: answer, confidence: nil) }
        let confidence = AnswerConfidence.of(row.question, entropies: row.entropies, chosenLogP: row.chosen, isKnown: row.known,
                                             unknown: model.specials.unknown)
        return Done(id: row.id, answer: answer, confidence: confidence)
    }
}

/// A question-answering model's decoder in a server (on the batcher's thread): greedy questions
/// go into a `GreedyBatch`, each reply made when its answer ends; the others are answered at
/// once, one at a time, as `ask` answers them. A streamed question's answer goes out token by
/// token (`ServedQuery.pieces`) once its confidence is known to pass the threshold (at once when
/// there is none): a fallback is never half shown.
final class ChatDecoder: ServedDecoder {
    private let model: ChatModel
    private let batch: GreedyBatch
    /// For what is not batched: the questions answered one at a time, confidences measured apart.
    private let chatbot: Chatbot
    private var waiting: [Int: (query: ServedQuery, question: ChatModel.Question, answer: (ServedReply) -> Void)] = [:]
    private var nextID = 0

    init(model: ChatModel) {
        self.model = model
        batch = GreedyBatch(model: model, session: InferenceSession(model: model.network))
        chatbot = Chatbot(model: model, settings: DecodingSettings())
    }

    func admit(_ queries: [ServedQuery], answer: @escaping (Int, ServedReply) -> Void) {
        var rows: [GreedyBatch.Row] = []
        for (i, query) in queries.enumerated() {
            // One query at a time: the match threshold is the model's, which `encode` reads.
            model.matchThreshold = query.options.matchThreshold
            let question = model.encode(query.text), blank = query.text.allSatisfy(\.isWhitespace)
            guard !blank, query.options.decoding.strategy == .greedy, query.options.nBest == 1 else {
                let chatbot = model.chatbot(query.options, session: self.chatbot.generator.session)
                answer(i, model.served(query, question, blank ? nil : chatbot.reply(to: question, count: query.options.nBest), chatbot))
                continue
            }
            waiting[nextID] = (query, question, { answer(i, $0) })
            rows.append(GreedyBatch.Row(id: nextID, question: question.ids, settings: query.options.decoding, onToken: streamer(query)))
            nextID += 1
        }
        batch.admit(rows)
    }

    func step() -> Int {
        for done in batch.step() {
            let (query, question, answer) = waiting.removeValue(forKey: done.id)!
            let options = query.options
            chatbot.settings = options.decoding
            chatbot.userMinConfidence = options.minConfidence
            chatbot.fallback = options.fallback
            let confidence = done.confidence ?? AnswerConfidence.of(
                question.ids, session: chatbot.generator.session, specials: model.specials, knownQuestions: model.knownQuestions)
            let reply = Chatbot.Reply(answers: [done.answer], confidence: confidence,
                                      isFallback: chatbot.minConfidence.map { confidence < $0 } ?? false)
            answer(model.served(query, question, reply, chatbot))
        }
        return batch.count
    }

    /// Sends a streamed query's answer piece by piece, what each token adds to the text (the
    /// pieces `ChatModel.pieces` gives the whole answer), from the step its confidence is known
    /// to pass the threshold. Should a token change the text before it, nothing more is sent.
    private func streamer(_ query: ServedQuery) -> ((_ answer: [Int32], _ leastConfidence: Float?) -> Void)? {
        guard query.stream, let pieces = query.pieces else { return nil }
        let threshold = query.options.minConfidence ?? model.confidence?.applicable
        var sure = threshold == nil, sent = 0, written = ""
        return { [model] answer, leastConfidence in
            if !sure, let leastConfidence, let threshold, leastConfidence >= threshold { sure = true }
            guard sure else { return }
            while sent < answer.count {
                let text = model.text(of: Array(answer[...sent]))
                sent += 1
                guard text.hasPrefix(written) else { return sent = .max }  // no more
                pieces.yield(String(text.dropFirst(written.count)))
                written = text
            }
        }
    }
}
