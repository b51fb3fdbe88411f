import Foundation
@testable import LSTMChat

/// A PyTorch reference file (see Fixtures/README.md): a model's parameters, a batch, and what
/// PyTorch computed from them in float64.
struct Fixture: Decodable {
    struct Tensor: Decodable {
        let shape: [Int]
        let data: [Double]
    }
    struct Config: Decodable {
        let vocab, embed, hidden, layers, batch: Int
        let steps: Int?                          // lm
        let source_steps, target_steps: Int?     // seq2seq
        let cutoffs: [Int]?                      // seq2seq with an adaptive softmax
    }
    struct AdamStep: Decodable {
        let lr, beta1, beta2, eps: Double
        let step: Int
        let params_after: [String: Tensor]
    }

    let name: String
    let model: String
    let config: Config
    let params: [String: Tensor]
    let logits: Tensor
    let loss: Double
    let grads: [String: Tensor]
    let grad_global_norm: Double
    let adam: AdamStep
    // lm
    let inputs: [[Int]]?
    // seq2seq
    let source: [[Int]]?
    let source_lengths: [Int]?
    let decoder_inputs: [[Int]]?
    let encoder_final_h: Tensor?
    let encoder_final_c: Tensor?
    // both
    let targets: [[Int]]
    let loss_mask: [[Double]]

    var modelConfig: ModelConfig {
        ModelConfig(vocabSize: config.vocab, embedSize: config.embed, hiddenSize: config.hidden, layers: config.layers,
                    attention: model == "seq2seq_attention", softmax: config.cutoffs == nil ? .full : .adaptive,
                    cutoffs: config.cutoffs ?? [])
    }

    /// Parameters laid out as `layout`, filled with this fixture's values.
    func parameters(_ layout: ParameterLayout) throws -> Parameters {
        let p = Parameters(layout: layout)
        for e in layout.entries {
            guard let t = params[e.name] else { throw FixtureError.missing(e.name) }
            guard t.shape == e.shape else { throw FixtureError.shape(e.name, t.shape, e.shape) }
            let v = p.value(e.name)
            for i in 0..<e.count { v[i] = Float(t.data[i]) }
        }
        return p
    }

    /// Every fixture: the bundled ones, and those in `$LSTMCHAT_FIXTURES` when it names a directory.
    static let all: [URL] = {
        func jsonFiles(in dir: URL) -> [URL] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return names.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0) }
        }
        var urls = jsonFiles(in: Bundle.module.resourceURL!.appendingPathComponent("Fixtures"))
        if let dir = ProcessInfo.processInfo.environment["LSTMCHAT_FIXTURES"], !dir.isEmpty {
            urls += jsonFiles(in: URL(fileURLWithPath: dir))
        }
        return urls
    }()

    static func named(_ kind: String) -> [URL] {
        all.filter { url in
            // Peek at the model kind without decoding the whole file twice.
            (try? JSONDecoder().decode(Kind.self, from: Data(contentsOf: url)).model) == kind
        }
    }

    static func load(_ url: URL) throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private struct Kind: Decodable { let model: String }
}

enum FixtureError: Error {
    case missing(String)
    case shape(String, [Int], [Int])
}

/// |ours − ref| ≤ 1e-5 + 1e-4·|ref| for every element; returns the first few violations.
func mismatches(_ ours: [Float], _ ref: [Double], atol: Double = 1e-5, rtol: Double = 1e-4) -> [String] {
    guard ours.count == ref.count else { return ["count \(ours.count) ≠ \(ref.count)"] }
    var bad: [String] = []
    for i in 0..<ours.count where !(abs(Double(ours[i]) - ref[i]) <= atol + rtol * abs(ref[i])) {
        bad.append("[\(i)] \(ours[i]) vs \(ref[i])")
        if bad.count == 5 { break }
    }
    return bad
}
