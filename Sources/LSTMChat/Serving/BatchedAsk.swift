import Foundation

/// A question-answering model served: its greedy questions are decoded together in one batch
/// (`GreedyBatch`: one matrix product per step for all of them) that questions join at any step
/// and leave when their answer ends, each reply the one `ask` gives the question alone: the same
/// answer (repeats forbidden as `AnswerGenerator` forbids them, `<unk>` as the query allows, its
/// own length limit), the same confidence (`AnswerConfidence`, read off the same decoding) and
/// the same JSON, its numbers to the last digits (`sameReply`). Sampling, beam search and n-best
/// lists go one query at a time, as `ask` does them.
extension ChatModel: ServedModel {
    public func replies(_ queries: [ServedQuery]) -> [ServedReply] {
        let decoder = ChatDecoder(model: self)
        var replies = [ServedReply?](repeating: nil, count: queries.count)
        decoder.admit(queries) { i, reply in replies[i] = reply }
        while decoder.step() > 0 {}
        return replies.map { $0! }
    }

    public func decoder() -> any ServedDecoder { ChatDecoder(model: self) }

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
