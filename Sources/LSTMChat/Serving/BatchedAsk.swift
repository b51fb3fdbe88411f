import Foundation

/// A question-answering model served: the greedy questions of a batch are answered together
/// (`BatchedGreedy`: one matrix product per step for all of them), each reply the one `ask`
/// gives the question alone: the same confidence (`ConfidenceSignals.measure`, which follows
/// `AnswerConfidence`), the same answer (repeats forbidden as `AnswerGenerator` forbids them,
/// `<unk>` as the query allows, its own length limit) and the same JSON. Sampling, beam search
/// and n-best lists go one query at a time, as `ask` does them.
extension ChatModel: ServedModel {
    public func replies(_ queries: [ServedQuery]) -> [ServedReply] {
        // One query at a time: `chatbot` sets the model's match threshold, which `encode` reads.
        let asked = queries.map { query in
            let chatbot = chatbot(query.options)
            return (chatbot: chatbot, question: encode(query.text), blank: query.text.allSatisfy(\.isWhitespace))
        }
        let together = queries.indices.filter { i in
            !asked[i].blank && queries[i].options.decoding.strategy == .greedy && queries[i].options.nBest == 1
        }
        var replies = [ServedReply?](repeating: nil, count: queries.count)
        if !together.isEmpty {
            let questions = together.map { asked[$0].question.ids }
            let signals = ConfidenceSignals.measure(questions, model: network, specials: specials, knownQuestions: knownQuestions)
            let answers = greedyAnswers(questions, settings: together.map { asked[$0].chatbot.settings })
            for (k, i) in together.enumerated() {
                let chatbot = asked[i].chatbot, confidence = signals[k].signals.confidence
                let reply = Chatbot.Reply(answers: [answers[k]], confidence: confidence,
                                          isFallback: chatbot.minConfidence.map { confidence < $0 } ?? false)
                replies[i] = served(queries[i].text, asked[i].question, reply, chatbot)
            }
        }
        for i in queries.indices where replies[i] == nil {
            let (chatbot, question, blank) = asked[i]
            replies[i] = served(queries[i].text, question, blank ? nil : chatbot.reply(to: question, count: queries[i].options.nBest), chatbot)
        }
        return replies.map { $0! }
    }

    /// Greedy answers to `questions` in one batch, each as `AnswerGenerator` gives it alone with
    /// the same settings, log-probability included.
    func greedyAnswers(_ questions: [[Int32]], settings: [DecodingSettings]) -> [GeneratedAnswer] {
        let V = network.config.vocabSize, eos = specials.eos, exempt = RepeatBlocking.marks(in: vocabulary.tokens)
        let blocking = settings.map { RepeatBlocking(settings: $0, exempt: exempt) }
        var masks = [false, true].map { AnswerGenerator.mask(vocabSize: V, specials: specials, allowUnknown: $0) }
        var logP = [Float](repeating: 0, count: questions.count), finished = [Bool](repeating: false, count: questions.count)
        let tokens = BatchedGreedy.answers(
            model: network, questions: questions, maxLength: settings.map(\.maxLength).max() ?? 1, specials: specials,
            choose: { q, z, answer in
                let (token, logPToken) = answer.withUnsafeBufferPointer { answer in
                    blocking[q].masking(&masks[settings[q].allowUnknown ? 1 : 0], after: answer, eos: eos) { m in
                        let token = TokenDistribution.argmax(z, mask: m, count: V)
                        let (largest, logSum) = TokenDistribution.normalizer(z, mask: m, count: V)
                        return (token, z[Int(token)] - largest - logSum)
                    }
                }
                logP[q] += logPToken
                if token == eos { finished[q] = true }
                return token
            },
            keepGoing: { q, answer in answer.count < settings[q].maxLength })
        return questions.indices.map { GeneratedAnswer(tokens: tokens[$0], logProbability: logP[$0], finished: finished[$0]) }
    }

    /// The reply `ask` gives (`reply` nil for a blank question), with its parts for a client.
    func served(_ text: String, _ question: Question, _ reply: Chatbot.Reply?, _ chatbot: Chatbot) -> ServedReply {
        let choices: [ServedChoice]
        if let reply, !reply.isFallback {
            choices = reply.answers.map { answer in
                let tokens = tokens(of: answer), text = self.text(of: answer)
                return ServedChoice(text: text, pieces: pieces(of: tokens, text: text), finished: answer.finished, tokens: tokens.count)
            }
        } else {
            let said = reply == nil ? "" : chatbot.fallback
            choices = [ServedChoice(text: said, pieces: [said], finished: true, tokens: 0)]
        }
        var served = ServedReply(json: AskReport(text: text, question: question, reply: reply, chatbot: chatbot).json,
                                 choices: choices, promptTokens: question.ids.count)
        served.confidence = reply?.confidence
        served.isFallback = reply?.isFallback ?? false
        served.askedAs = question.matched.map(self.text(of:))
        return served
    }

    /// An answer's text token by token: what each token adds to the text of those before it.
    /// Should a token change the text before it (the tokenizer joining words anew), the whole
    /// text is one piece.
    func pieces(of tokens: [String], text: String) -> [String] {
        var pieces: [String] = [], written = ""
        for k in tokens.indices {
            let next = tokenizer.detokenize(Array(tokens[...k]))
            guard next.hasPrefix(written) else { return [text] }
            pieces.append(String(next.dropFirst(written.count)))
            written = next
        }
        return written == text ? pieces : [text]
    }
}
