import Foundation

/// What resuming needs besides the model, in `training.safetensors` beside it: Adam's moments
/// as tensors `exp_avg.<parameter>` and `exp_avg_sq.<parameter>` (PyTorch's names for them),
/// and in the metadata the solver settings, Adam's step, the position in the run (epoch, step
/// in epoch, dropout generator) and a description of the data the run was started on.
public struct TrainingStateFile {
    public static let format = "lstmchat-training/1"

    public var settings: TrainingSettings
    public var progress: TrainingProgress
    public var adamStep: Int
    public var firstMoment: [Float]
    public var secondMoment: [Float]
    /// Strings the trainer keeps for itself (data paths, data fingerprint, tokenizer flags).
    public var run: [String: String]

    public init(settings: TrainingSettings, progress: TrainingProgress, adamStep: Int,
                firstMoment: [Float], secondMoment: [Float], run: [String: String]) {
        self.settings = settings
        self.progress = progress
        self.adamStep = adamStep
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.run = run
    }

    public func write(to url: URL, layout: ParameterLayout) throws {
        var tensors: [SafetensorsFile.Tensor] = []
        for (prefix, moment) in [("exp_avg.", firstMoment), ("exp_avg_sq.", secondMoment)] {
            for e in layout.entries {
                tensors.append(.init(name: prefix + e.name, shape: e.shape, values: Array(moment[e.offset..<(e.offset + e.count)])))
            }
        }
        let metadata = ["format": Self.format, "settings": json(settings), "progress": json(progress),
                        "adam_step": String(adamStep), "run": json(run)]
        try SafetensorsFile.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a training state and checks it against the model's parameter layout.
    public static func read(_ url: URL, layout: ParameterLayout) throws -> TrainingStateFile {
        let (tensors, metadata) = try SafetensorsFile.read(url)
        func fail(_ problem: String) -> CheckpointError { CheckpointError(url.path, problem) }
        guard metadata["format"] == format else { throw fail("not an lstmchat training state") }
        guard let settings = metadata["settings"].flatMap({ decode(TrainingSettings.self, $0) }),
              let progress = metadata["progress"].flatMap({ decode(TrainingProgress.self, $0) }),
              progress.dropoutRNG.count == 4,
              let adamStep = metadata["adam_step"].flatMap({ Int($0) }), adamStep >= 0 else {
            throw fail("training state metadata is malformed")
        }
        let run = metadata["run"].flatMap { decode([String: String].self, $0) } ?? [:]
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard tensors.count == 2 * layout.entries.count else { throw fail("training state does not match the model's parameters") }
        var moments = [[Float]](repeating: [Float](repeating: 0, count: layout.count), count: 2)
        for (k, prefix) in ["exp_avg.", "exp_avg_sq."].enumerated() {
            for e in layout.entries {
                guard let t = byName[prefix + e.name], t.shape == e.shape else {
                    throw fail("training state has no \(prefix + e.name) of shape \(e.shape)")
                }
                moments[k].replaceSubrange(e.offset..<(e.offset + e.count), with: t.values)
            }
        }
        return TrainingStateFile(settings: settings, progress: progress, adamStep: adamStep,
                                 firstMoment: moments[0], secondMoment: moments[1], run: run)
    }
}
