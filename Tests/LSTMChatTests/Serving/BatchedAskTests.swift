import Foundation
import Testing
@testable import LSTMChat

/// The bundled models, read once for the serving tests.
enum BundledForServing {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized
    static let chat: ChatModel = try! LoadedModels.open(root.appendingPathComponent("checkpoints/default").path, as: ChatModel.self)
    static let text: TextModel = try! LoadedModels.open(root.appendingPathComponent("checkpoints/kjv-lm").path, as: TextModel.self)
    /// Questions of the corpus, reworded ones, unrelated ones and ones of unknown words.
    static let questions = ["hello", "how are you", "what is your name", "tell me a joke", "Hi there!", "what's up",
                            "do you like bananas", "who wrote hamlet", "xyzzy plugh frobnicate", "what is the meaning of life",
                            "are you a robot", "what language are you written in", "I AM NOT SURE", "???", "good morning",
                            "can you help me with my homework"]
}

/// Serialized: the tests share the bundled models, which answer one question at a time.
@Suite(.serialized) struct BatchedAskTests {
    static func options(_ change: (inout UseOptions) -> Void = { _ in }) -> UseOptions {
        var options = UseOptions()
        options.decoding.seed = 7
        change(&options)
        return options
    }

    /// Each query decoded in one batch with the others gets the reply `ask` gives it alone: the
    /// same answer and decisions, its numbers to the last digits (`sameReply`).
    @Test("a batch's replies are the replies ask gives each question alone", arguments: [
        options(), options { $0.decoding.maxLength = 3 }, options { $0.matchThreshold = nil }, options { $0.minConfidence = 0.9 },
        options { $0.decoding.allowUnknown = true; $0.decoding.maxRepeats = 0 }, options { $0.decoding.blockNgramRepeat = 2 },
    ])
    func batchedRepliesAreTheRepliesAlone(options: UseOptions) {
        let model = BundledForServing.chat, questions = BundledForServing.questions
        let alone = questions.map { model.ask($0, options).json }
        let batched = model.replies(questions.map { ServedQuery(text: $0, options: options, stream: true) })
        for (reply, json) in zip(batched, alone) { #expect(sameReply(reply.json, json), "\(reply.json)\n\(json)") }
        #expect(batched.allSatisfy { $0.choices.count == 1 && $0.choices[0].pieces.joined() == $0.choices[0].text })
    }

    /// Greedy queries batch while sampled, beam and n-best ones in the same batch go alone: every reply as asked alone.
    @Test func mixedStrategiesInOneBatchEachGetTheirOwnReply() {
        let model = BundledForServing.chat
        let variants: [UseOptions] = [
            Self.options(), Self.options { $0.decoding.strategy = .sample; $0.decoding.temperature = 0.8 },
            Self.options { $0.decoding.strategy = .beam }, Self.options { $0.nBest = 3 },
            Self.options { $0.decoding.maxLength = 2 }, Self.options { $0.fallback = "pardon?"; $0.minConfidence = 1 },
        ]
        let queries = BundledForServing.questions.enumerated().map { ServedQuery(text: $1, options: variants[$0 % variants.count]) }
        let alone = queries.map { model.ask($0.text, $0.options).json }
        let batched = model.replies(queries)
        for (reply, json) in zip(batched, alone) { #expect(sameReply(reply.json, json), "\(reply.json)\n\(json)") }
        #expect(batched[3].choices.count == 3, "n-best 3")
        #expect(batched[5].isFallback && batched[5].choices.map(\.text) == ["pardon?"])
    }

    /// Continuous batching: questions that join the batch while others are decoded, a few
    /// after every step, get the replies `ask` gives them alone.
    @Test func questionsJoiningTheBatchMidwayGetTheRepliesAlone() {
        let model = BundledForServing.chat, questions = BundledForServing.questions, options = Self.options()
        let alone = questions.map { model.ask($0, options).json }
        let decoder = model.decoder()
        var replies = [String?](repeating: nil, count: questions.count), joined = 0
        func admit(_ count: Int) {
            let first = joined, end = min(joined + count, questions.count)
            decoder.admit(questions[first..<end].map { ServedQuery(text: $0, options: options) }) { i, reply in replies[first + i] = reply.json }
            joined = end
        }
        admit(4)
        while true {
            let left = decoder.step()
            if joined < questions.count { admit(3) } else if left == 0 { break }
        }
        for (reply, json) in zip(replies, alone) { #expect(reply.map { sameReply($0, json) } == true, "\(reply ?? "none")\n\(json)") }
    }

    /// stream: a greedy answer's pieces go out while it is decoded, not after: the test marks
    /// each step in the same stream, and pieces come before the last step. They are the reply's
    /// pieces, all of them (the question's confidence passes the threshold after 3 tokens).
    @Test func aStreamedAnswersPiecesGoOutAsItsTokensAreDecoded() async {
        let model = BundledForServing.chat, decoder = model.decoder()
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        var reply: ServedReply?
        decoder.admit([ServedQuery(text: "what is ai", options: Self.options(), stream: true, pieces: continuation)]) { reply = $1 }
        while decoder.step() > 0 { continuation.yield("<step>") }
        continuation.finish()
        var events: [String] = []
        for await event in stream { events.append(event) }
        let pieces = events.filter { $0 != "<step>" }
        #expect(pieces == reply!.choices[0].pieces && pieces.count > 4)
        #expect(events.firstIndex { $0 != "<step>" }! < events.lastIndex(of: "<step>")!, "\(events)")
    }

    /// A reply that ends as the fallback sends no piece of the answer it replaces.
    @Test func aFallbackIsNotStreamed() async {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let options = Self.options { $0.minConfidence = 1; $0.fallback = "pardon?" }
        let reply = BundledForServing.chat.replies([ServedQuery(text: "what is your favorite book", options: options, stream: true, pieces: continuation)])[0]
        continuation.finish()
        var pieces: [String] = []
        for await piece in stream { pieces.append(piece) }
        #expect(reply.isFallback && pieces.isEmpty)
    }

    /// A batch's floats differ from a single question's in the last digits; `sameReply` allows that and no more.
    @Test func sameReplyAllowsTheLastDigitsAndNothingElse() {
        let a = #"{"answers": [{"log_probability": -0.22771166, "text": "i am"}], "confidence": 0.9627592, "fallback": false}"#
        #expect(sameReply(a, #"{"answers": [{"log_probability": -0.22771226, "text": "i am"}], "confidence": 0.96275914, "fallback": false}"#))
        #expect(!sameReply(a, #"{"answers": [{"log_probability": -0.23, "text": "i am"}], "confidence": 0.9627592, "fallback": false}"#))
        #expect(!sameReply(a, #"{"answers": [{"log_probability": -0.22771166, "text": "i was"}], "confidence": 0.9627592, "fallback": false}"#))
        #expect(!sameReply(a, #"{"answers": [{"log_probability": -0.22771166, "text": "i am"}], "confidence": 0.9627592, "fallback": true}"#))
        #expect(!sameReply(a, #"{"answers": [], "confidence": 0.9627592, "fallback": false}"#))
    }

    @Test func aReplyCarriesTheConfidenceAndTheQuestionAskedAs() throws {
        let reply = BundledForServing.chat.replies([ServedQuery(text: "do you like music", options: Self.options())])[0]
        let json = try JSONSerialization.jsonObject(with: Data(reply.json.utf8)) as! [String: Any]
        #expect(reply.confidence! == Float(json["confidence"] as! Double) && reply.askedAs != nil)
        #expect(reply.askedAs == json["asked_as"] as? String)
        #expect(reply.choices[0].text == json["reply"] as? String)
        #expect(reply.completionTokens == ((json["answers"] as! [[String: Any]])[0]["tokens"] as! [String]).count)
    }

    /// A language model continues each prompt as `ask` does with the same seed.
    @Test func aLanguageModelsRepliesAreItsAskReplies() {
        let model = BundledForServing.text
        let queries = ["In the beginning", "And God said", "Moses"].map { ServedQuery(text: $0, options: Self.options { $0.decoding.maxLength = 40 }) }
        let replies = model.replies(queries)
        #expect(replies.map(\.json) == queries.map { model.ask($0.text, $0.options).json })
        #expect(replies.allSatisfy { $0.choices[0].pieces.joined() == $0.choices[0].text && !$0.choices[0].text.isEmpty })
    }
}
