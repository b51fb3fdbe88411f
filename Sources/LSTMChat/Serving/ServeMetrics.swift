import Foundation

/// The server's counters, written in Prometheus's text format for `GET /metrics`: requests by
/// route and status, their latency, the tokens generated and the sizes of the decoded batches.
public final class ServeMetrics: @unchecked Sendable {
    /// A histogram: how many observations fell at or below each bound, their count and sum.
    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var count = 0
        var sum = 0.0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = [Int](repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
            count += 1
            sum += value
        }

        func lines(_ name: String, labels: String = "") -> [String] {
            let prefix = labels.isEmpty ? "" : labels + ","
            var lines = zip(bounds, counts).map { "\(name)_bucket{\(prefix)le=\"\(ServeMetrics.number($0))\"} \($1)" }
            lines.append("\(name)_bucket{\(prefix)le=\"+Inf\"} \(count)")
            let suffix = labels.isEmpty ? "" : "{\(labels)}"
            lines += ["\(name)_sum\(suffix) \(ServeMetrics.number(sum))", "\(name)_count\(suffix) \(count)"]
            return lines
        }
    }

    static let latencyBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    static let batchBounds: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    private let lock = NSLock()
    private var requests: [String: [Int: Int]] = [:]  // route → status → count
    private var latency: [String: Histogram] = [:]     // route → seconds
    private var tokens = 0
    private var batches = Histogram(bounds: batchBounds)

    public init() {}

    /// One request answered: its route (the pattern, "/v1/ask"), status and time in seconds.
    public func request(route: String, status: Int, seconds: Double) {
        lock.withLock {
            requests[route, default: [:]][status, default: 0] += 1
            latency[route, default: Histogram(bounds: Self.latencyBounds)].observe(seconds)
        }
    }

    public func generated(tokens count: Int) { lock.withLock { tokens += count } }

    public func batch(size: Int) { lock.withLock { batches.observe(Double(size)) } }

    /// The requests counted for `route` with `status`.
    public func count(route: String, status: Int) -> Int { lock.withLock { requests[route]?[status] ?? 0 } }

    /// Prometheus's text exposition format, version 0.0.4.
    public var text: String {
        lock.withLock {
            var lines = ["# HELP lstmchat_requests_total HTTP requests answered, by route and status.",
                         "# TYPE lstmchat_requests_total counter"]
            for route in requests.keys.sorted() {
                for status in requests[route]!.keys.sorted() {
                    lines.append("lstmchat_requests_total{route=\"\(Self.escaped(route))\",status=\"\(status)\"} \(requests[route]![status]!)")
                }
            }
            lines += ["# HELP lstmchat_request_duration_seconds Time from a request's arrival to its response, by route.",
                      "# TYPE lstmchat_request_duration_seconds histogram"]
            for route in latency.keys.sorted() {
                lines += latency[route]!.lines("lstmchat_request_duration_seconds", labels: "route=\"\(Self.escaped(route))\"")
            }
            lines += ["# HELP lstmchat_generated_tokens_total Tokens generated (answers, continuations).",
                      "# TYPE lstmchat_generated_tokens_total counter", "lstmchat_generated_tokens_total \(tokens)",
                      "# HELP lstmchat_batch_size Requests decoded together: the batch's size each time requests join it.",
                      "# TYPE lstmchat_batch_size histogram"]
            lines += batches.lines("lstmchat_batch_size")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func escaped(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
