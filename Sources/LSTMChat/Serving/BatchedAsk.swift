import Foundation

/// A question-answering model served: the greedy questions of a batch are answered together
/// (`BatchedGreedy`: one matrix product per step for all of them), each reply the one `ask`
/// gives the question alone: the same answer (repeats forbidden as `AnswerGenerator` forbids
/// them, `<unk>` as the query allows, its own length limit), the same confidence
/// (`AnswerConfidence`, read off the same decoding) and the same JSON, its numbers to the last
/// digits (`sameReply`). Sampling, beam search and n-best lists go one query at a time, as `ask`
/// does them.
extension ChatModel: ServedModel {
    public func replies(_ queries: [ServedQuery]) -> [ServedReply] {
        // One query at a time: the match threshold is the model's, which `encode` reads.
        let questions = queries.map { query in
            matchThreshold = query.options.matchThreshold
            return encode(query.text)
        }
        let together = queries.indices.filter { i in
            !queries[i].text.allSatisfy(\.isWhitespace) && queries[i].options.decoding.strategy == .greedy && queries[i].options.nBest == 1
        }
        var replies = [ServedReply?](repeating: nil, count: queries.count)
        if !together.isEmpty {
            // One chatbot writes every batched reply: greedy answers draw no random numbers.
            let chatbot = Chatbot(model: self, settings: DecodingSettings(), session: servingSession)
            let decoded = greedyReplies(together.map { questions[$0].ids }, settings: together.map { queries[$0].options.decoding })
            for (k, i) in together.enumerated() {
                let options = queries[i].options
                chatbot.settings = options.decoding
                chatbot.userMinConfidence = options.minConfidence
                chatbot.fallback = options.fallback
                let confidence = decoded[k].confidence ?? AnswerConfidence.of(
                    questions[i].ids, session: chatbot.generator.session, specials: specials, knownQuestions: knownQuestions)
                let reply = Chatbot.Reply(answers: [decoded[k].answer], confidence: confidence,
                                          isFallback: chatbot.minConfidence.map { confidence < $0 } ?? false)
                replies[i] = served(queries[i], questions[i], reply, chatbot)
            }
        }
        for i in queries.indices where replies[i] == nil {
            let chatbot = chatbot(queries[i].options, session: servingSession), blank = queries[i].text.allSatisfy(\.isWhitespace)
            replies[i] = served(queries[i], questions[i], blank ? nil : chatbot.reply(to: questions[i], count: queries[i].options.nBest), chatbot)
        }
        return replies.map { $0! }
    }

    /// Greedy answers to `questions` in one batch, each as `AnswerGenerator` gives it alone with
    /// its settings (repeats forbidden, `<unk>` allowed or not, its length limit), and the
    /// confidence `AnswerConfidence.of` gives it, read from the same decoding: the confidence
    /// follows the greedy answer without repeat blocking and without `<unk>`, for 3 steps (60 for
    /// a question the model knows), which is the answer's own path unless blocking turns it
    /// aside or the answer stops first. Then the confidence is nil: the caller measures it apart.
    func greedyReplies(_ questions: [[Int32]], settings: [DecodingSettings]) -> [(answer: GeneratedAnswer, confidence: Float?)] {
        let V = network.config.vocabSize, eos = specials.eos, exempt = repeatExempt
        let blocking = settings.map { RepeatBlocking(settings: $0, exempt: exempt) }
        var masks = [false, true].map { AnswerGenerator.mask(vocabSize: V, specials: specials, allowUnknown: $0) }
        let plain = masks[0]  // the confidence's: no <unk>, nothing blocked
        let known = questions.map { knownQuestions?.contains($0) ?? false }
        // Per question: the answer's log-probability and end; the confidence's entropies and
        // chosen log-probabilities while it follows the answer (`following`), nil once it parts.
        var logP = [Float](repeating: 0, count: questions.count), finished = [Bool](repeating: false, count: questions.count)
        var entropies = [[Float]](repeating: [], count: questions.count), chosen = entropies
        var following = [Bool](repeating: true, count: questions.count)
        // The confidence's decoding ends at <eos> or after this many tokens (`AnswerConfidence.of`).
        let limits = known.map { $0 ? max(60, AnswerConfidence.steps) : AnswerConfidence.steps }
        let tokens = BatchedGreedy.answers(
            model: network, questions: questions, maxLength: settings.map(\.maxLength).max() ?? 1, specials: specials, session: servingSession,
            choose: { q, z, answer in
                let confidence = following[q] && chosen[q].count < limits[q], entropy = AnswerConfidence.wantsEntropy(entropies[q])
                // One pass over the row for the answer's step and, when its mask is the
                // confidence's (no <unk>, nothing blocked), for the confidence's too.
                let (step, plainToo) = answer.withUnsafeBufferPointer { answer in
                    blocking[q].masking(&masks[settings[q].allowUnknown ? 1 : 0], after: answer, eos: eos) { m, blocked in
                        let plainToo = !settings[q].allowUnknown && !blocked
                        return (TokenDistribution.summary(z, mask: m, count: V, entropy: confidence && plainToo && entropy), plainToo)
                    }
                }
                let token = step.token, logPToken = step.logP(z)
                if confidence {
                    let plainStep = plainToo ? step : plain.withUnsafeBufferPointer {
                        TokenDistribution.summary(z, mask: $0.baseAddress!, count: V, entropy: entropy)
                    }
                    if plainStep.token != token {
                        following[q] = false
                    } else {
                        AnswerConfidence.record(plainStep, logits: z, token: token, entropies: &entropies[q], chosen: &chosen[q])
                    }
                }
                logP[q] += logPToken
                if token == eos { finished[q] = true }
                return token
            },
            keepGoing: { q, answer in answer.count < settings[q].maxLength })
        return questions.indices.map { q in
            let answer = GeneratedAnswer(tokens: tokens[q], logProbability: logP[q], finished: finished[q])
            // Complete when it ended where its own decoding would: at <eos>, or at its limit.
            guard following[q], finished[q] || chosen[q].count >= limits[q] else { return (answer, nil) }
            return (answer, AnswerConfidence.of(questions[q], entropies: entropies[q], chosenLogP: chosen[q], isKnown: known[q],
                                                unknown: specials.unknown))
        }
    }

    /// The reply `ask` gives (`reply` nil for a blank question), with its parts for a client.
    func served(_ query: ServedQuery, _ question: Question, _ reply: Chatbot.Reply?, _ chatbot: Chatbot) -> ServedReply {
        let choices: [ServedChoice]
        if let reply, !reply.isFallback {
            choices = reply.answers.map { answer in
                let tokens = tokens(of: answer), text = self.text(of: answer)
                return ServedChoice(text: text, pieces: query.stream ? pieces(of: tokens, text: text) : [text], finished: answer.finished,
                                    tokens: tokens.count)
            }
        } else {
            let said = reply == nil ? "" : chatbot.fallback
            choices = [ServedChoice(text: said, pieces: [said], finished: true, tokens: 0)]
        }
        var served = ServedReply(json: AskReport(text: query.text, question: question, reply: reply, chatbot: chatbot).json,
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
