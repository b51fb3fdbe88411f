import Foundation
import Testing
@testable import LSTMChat

@Suite struct ServeRequestsTests {
    static func ask(_ body: String, for model: any LoadedModel.Type = ChatModel.self) throws -> ServedQuery {
        try AskRequest.decode(Data(body.utf8)).query(for: model)
    }

    /// Each bad body is refused with one line naming the field and the problem.
    @Test("a bad ask body is refused in one line", arguments: [
        ("", "the body is not valid JSON"),
        ("{\"question\": \"hi\"", "the body is not valid JSON"),
        ("[\"hi\"]", "the body must be a JSON object"),
        ("\"hi\"", "the body must be a JSON object"),
        ("{}", "question: missing"),
        ("{\"question\": null}", "question: expected a string, got null"),
        ("{\"question\": 3}", "question: expected a string"),
        ("{\"question\": \"hi\", \"colour\": 1}", "unknown field \"colour\""),
        ("{\"question\": \"   \"}", "question: empty"),
        ("{\"question\": \"\(String(repeating: "a", count: 100_000))\"}", "question: longer than 10000 characters"),
        ("{\"question\": \"hi\", \"max_length\": 0}", "max_length: expected a whole number from 1 to 1000, got 0"),
        ("{\"question\": \"hi\", \"max_length\": 2.5}", "max_length: expected a whole number in range, got 2.5"),
        ("{\"question\": \"hi\", \"max_length\": \"3\"}", "max_length: expected a whole number"),
        ("{\"question\": \"hi\", \"temperature\": -1}", "temperature: expected a number > 0, got -1"),
        ("{\"question\": \"hi\", \"seed\": -1}", "seed: expected a whole number in range, got -1"),
        ("{\"question\": \"hi\", \"beam\": 4, \"sample\": true}", "beam searches, sample samples: choose one"),
        ("{\"question\": \"hi\", \"top\": 2}", "top does not apply to a question-answering model"),
        ("{\"question\": \"hi\", \"fallback\": \"a\\nb\"}", "fallback: one line of text, without line breaks"),
    ])
    func badAskBodiesAreRefused(body: String, message: String) {
        #expect(throws: BadRequest.self) { try Self.ask(body) }
        do { _ = try Self.ask(body) } catch {
            #expect("\(error)".hasPrefix(message) && !"\(error)".contains("\n"), "\(error)")
        }
    }

    @Test func anAskBodyGivesAsksOptions() throws {
        let query = try Self.ask(#"{"question": "hi", "beam": 8, "n_best": 3, "max_length": 20, "min_confidence": 0.5, "fallback": "eh?", "no_match": true}"#)
        #expect(query.text == "hi")
        #expect(query.options.decoding.strategy == .beam && query.options.decoding.beamWidth == 8 && query.options.decoding.maxLength == 20)
        #expect(query.options.nBest == 3 && query.options.minConfidence == 0.5 && query.options.fallback == "eh?")
        #expect(query.options.matchThreshold == nil)
        // A classifier takes `top` and refuses decoding options, as `ask` does.
        #expect(try Self.ask(#"{"question": "hi", "top": 2}"#, for: LabelModel.self).options.top == 2)
        #expect(throws: BadRequest.self) { try Self.ask(#"{"question": "hi", "beam": 2}"#, for: LabelModel.self) }
    }

    @Test func aChatRequestAsksTheLastUserMessage() throws {
        let body = #"""
        {"model": "default", "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "hello"},
         {"role": "assistant", "content": "hi"}, {"role": "user", "content": [{"type": "text", "text": "how are you"}]}],
         "temperature": 0.5, "top_p": 0.9, "max_tokens": 12, "n": 2, "seed": 5, "stream": true}
        """#
        let request = try ChatCompletionRequest.decode(Data(body.utf8))
        let query = try request.query()
        #expect(query.text == "how are you" && request.stream == true)
        #expect(query.options.decoding.strategy == .sample && query.options.decoding.temperature == 0.5 && query.options.decoding.topP == 0.9)
        #expect(query.options.decoding.maxLength == 12 && query.options.nBest == 2 && query.options.decoding.seed == 5)
        // No temperature, or 0: the most likely answer.
        let greedy = try ChatCompletionRequest.decode(Data(#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 0}"#.utf8)).query()
        #expect(greedy.options.decoding.strategy == .greedy && greedy.options.nBest == 1)
    }

    @Test("a bad chat request is refused in one line", arguments: [
        (#"{"messages": []}"#, "messages: no user message"),
        (#"{"messages": [{"role": "system", "content": "x"}]}"#, "messages: no user message"),
        (#"{"messages": [{"role": "king", "content": "x"}]}"#, "messages: unknown role \"king\""),
        (#"{"messages": [{"role": "user"}]}"#, "messages[0].content: missing"),
        (#"{"messages": [{"role": "user", "content": "x", "mood": 1}]}"#, "messages: unknown field \"mood\""),
        (#"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, "messages: content parts other than text"),
        (#"{"messages": "hi"}"#, "messages: expected an array"),
        (#"{"messages": [{"role": "user", "content": "x"}], "temperature": 3}"#, "temperature: expected a number from 0 to 2, got 3"),
        (#"{"messages": [{"role": "user", "content": "x"}], "n": 0}"#, "n: expected a whole number from 1 to 16, got 0"),
        (#"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 5000}"#, "max_tokens: expected a whole number from 1 to 1000"),
        (#"{"messages": [{"role": "user", "content": "x"}], "logit_bias": {}}"#, "unknown field \"logit_bias\""),
    ])
    func badChatRequestsAreRefused(body: String, message: String) {
        do {
            _ = try ChatCompletionRequest.decode(Data(body.utf8)).query()
            Issue.record("accepted \(body)")
        } catch {
            #expect(error is BadRequest && "\(error)".hasPrefix(message), "\(error)")
        }
    }

    @Test func completionAndClassifyRequests() throws {
        let completion = try CompletionRequest.decode(Data(#"{"prompt": "In the beginning", "max_tokens": 30, "temperature": 0}"#.utf8)).query()
        #expect(completion.text == "In the beginning" && completion.options.decoding.maxLength == 30)
        #expect(TextModel.settings(completion.options).strategy == .greedy, "temperature 0: the most likely characters")
        let classify = try ClassifyRequest.decode(Data(#"{"text": "hello there", "top": 3}"#.utf8)).query()
        #expect(classify.text == "hello there" && classify.options.top == 3)
        #expect(throws: BadRequest.self) { try ClassifyRequest.decode(Data(#"{"text": ""}"#.utf8)).query() }
    }
}

@Suite struct ServeMetricsTests {
    @Test func theMetricsAreWrittenInPrometheusTextFormat() {
        let metrics = ServeMetrics()
        metrics.request(route: "/v1/ask", status: 200, seconds: 0.003)
        metrics.request(route: "/v1/ask", status: 200, seconds: 0.2)
        metrics.request(route: "/v1/ask", status: 400, seconds: 0.0001)
        metrics.generated(tokens: 7)
        metrics.batch(size: 5)
        let lines = Set(metrics.text.split(separator: "\n").map(String.init))
        for line in ["lstmchat_requests_total{route=\"/v1/ask\",status=\"200\"} 2", "lstmchat_requests_total{route=\"/v1/ask\",status=\"400\"} 1",
                     "lstmchat_request_duration_seconds_bucket{route=\"/v1/ask\",le=\"0.005\"} 2",
                     "lstmchat_request_duration_seconds_bucket{route=\"/v1/ask\",le=\"0.25\"} 3",
                     "lstmchat_request_duration_seconds_bucket{route=\"/v1/ask\",le=\"+Inf\"} 3",
                     "lstmchat_request_duration_seconds_count{route=\"/v1/ask\"} 3", "lstmchat_generated_tokens_total 7",
                     "lstmchat_batch_size_bucket{le=\"4\"} 0", "lstmchat_batch_size_bucket{le=\"8\"} 1", "lstmchat_batch_size_sum 5",
                     "# TYPE lstmchat_batch_size histogram"] {
            #expect(lines.contains(line), "\(line)")
        }
        #expect(metrics.count(route: "/v1/ask", status: 200) == 2)
    }
}
