import Foundation
import Testing

/// `lstmchat bench` prints what `bench/compare.py` reads (its figures are never checked: no timed tests).
@Suite struct BenchTests {
    @Test func jsonHasEveryFigureThePeerHas() throws {
        let result = try LSTMChatBinary.run(["bench", "--workload", "anchor", "--threads", "1", "--steps", "1", "--warmup", "0", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(lines.map { $0["measure"] as? String } == ["sgemm", "train", "generate"])
        for key in ["tokens_per_s", "step_ms_median", "step_ms_min", "products_ms", "gflops", "products_gflops", "params", "max_rss_mb"] {
            #expect(lines[1][key] is Double || lines[1][key] is Int, "train has \(key)")
        }
        #expect(lines[1]["params"] as? Int == 289_892)  // the peer's count for anchor
        #expect(lines[1]["threads"] as? Int == 1)
        #expect(lines[2]["ms_per_token"] is Double)
    }

    @Test func anUnknownWorkloadIsRefused() throws {
        let result = try LSTMChatBinary.run(["bench", "--workload", "huge"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown workload 'huge'"))
    }
}
