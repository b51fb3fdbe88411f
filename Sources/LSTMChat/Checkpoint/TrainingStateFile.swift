import Foundation

/// Everything resuming needs, in one file (`training.safetensors`) so that it is written in one
/// atomic step: the weights under their own names, Adam's moments as `exp_avg.<parameter>` and
/// `exp_avg_sq.<parameter>` (PyTorch's names for them), and in the metadata the solver
/// settings, Adam's step, the position in the run (epoch, step in epoch, dropout generator)
/// and what the run was started on. What never changes during a run (the model's shape,
/// vocabulary, tokenizer) is read from `model.safetensors` beside it.
public struct TrainingStateFile {
    public static let format = "lstmchat-training/1"

    public var settings: TrainingSettings
    public var progress: TrainingProgress
    public var adamStep: Int
    public var weights: [Float]
    public var firstMoment: [Float]
    public var secondMoment: [Float]
    /// Strings the trainer keeps for itself (data paths, data fingerprint, tokenizer flags).
    public var run: [String: String]
    /// What the model carries from batch to batch (`TrainableModel.carriedState`), stored as
    /// `carried.<name>`: a language model's LSTM state in the middle of an epoch.
    public var carriedState: [SafetensorsFile.Tensor]

    static let carriedPrefix = "carried."

    public init(settings: TrainingSettings, progress: TrainingProgress, adamStep: Int,
                weights: [Float], firstMoment: [Float], secondMoment: [Float], run: [String: String],
                carriedState: [SafetensorsFile.Tensor] = []) {
        self.carriedState = carriedState
        self.settings = settings
        self.progress = progress
        self.adamStep = adamStep
        self.weights = weights
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.run = run
    }

    public func write(to url: URL, layout: ParameterLayout) throws {
        try weights.withUnsafeBufferPointer { w in
            try firstMoment.withUnsafeBufferPointer { m in
                try secondMoment.withUnsafeBufferPointer { v in
                    try Self.write(to: url, layout: layout, settings: settings, progress: progress, adamStep: adamStep,
                                   weights: w, firstMoment: m, secondMoment: v, run: run, carriedState: carriedState)
                }
            }
        }
    }

    /// Writes a training state straight from the trainer's buffers: a model of 9 million
    /// parameters is 108 MB of them, not copied on the way.
    public static func write(to url: URL, layout: ParameterLayout, settings: TrainingSettings, progress: TrainingProgress,
                             adamStep: Int, weights: UnsafeBufferPointer<Float>, firstMoment: UnsafeBufferPointer<Float>,
                             secondMoment: UnsafeBufferPointer<Float>, run: [String: String],
                             carriedState: [SafetensorsFile.Tensor]) throws {
        let moments = [("", weights), ("exp_avg.", firstMoment), ("exp_avg_sq.", secondMoment)]
        for (_, values) in moments { precondition(values.count == layout.count, "the buffers are the layout's") }
        // Each tensor written from its place in the buffers.
        let tensors = moments.flatMap { prefix, values in
            layout.entries.map { e in
                SafetensorsFile.Output.floats(prefix + e.name, shape: e.shape, UnsafeBufferPointer(rebasing: values[e.offset..<(e.offset + e.count)]))
            }
        } + carriedState.map { SafetensorsFile.Output(.init(name: carriedPrefix + $0.name, shape: $0.shape, values: $0.values)) }
        let metadata = ["format": Self.format, "settings": jsonString(settings), "progress": jsonString(progress),
                        "adam_step": String(adamStep), "run": jsonString(run)]
        try SafetensorsFile.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a training state and checks it against the model's parameter layout.
    public static func read(_ url: URL, layout: ParameterLayout) throws -> TrainingStateFile {
        let buffers = (0..<3).map { _ in FloatBuffer(count: layout.count) }
        let state = try read(url, layout: layout) { _ in (buffers[0].buffer, buffers[1].buffer, buffers[2].buffer) }
        return TrainingStateFile(settings: state.settings, progress: state.progress, adamStep: state.adamStep, weights: buffers[0].array,
                                 firstMoment: buffers[1].array, secondMoment: buffers[2].array, run: state.run, carriedState: state.carriedState)
    }

    /// What a training state holds besides its three buffers of the layout's size.
    public struct Position {
        public var settings: TrainingSettings
        public var progress: TrainingProgress
        public var adamStep: Int
        public var run: [String: String]
        public var carriedState: [SafetensorsFile.Tensor]
    }

    /// Reads a training state, checked against the model's parameter layout: first its position,
    /// which `buffers` is given to make the trainer from, then the weights and Adam's moments,
    /// straight into the buffers it returns (a model of 9 million parameters: 108 MB read in
    /// place, never held twice).
    public static func read(_ url: URL, layout: ParameterLayout,
                            into buffers: (Position) throws -> (weights: UnsafeMutableBufferPointer<Float>,
                                                                firstMoment: UnsafeMutableBufferPointer<Float>,
                                                                secondMoment: UnsafeMutableBufferPointer<Float>)) throws -> Position {
        try SafetensorsFile.open(url) { contents in
            let metadata = contents.metadata
            func fail(_ problem: String) -> CheckpointError { CheckpointError(url.path, problem) }
            guard metadata["format"] == format else { throw fail("not an lstmchat training state") }
            guard let settings = metadata["settings"].flatMap({ jsonValue(TrainingSettings.self, $0) }),
                  let progress = metadata["progress"].flatMap({ jsonValue(TrainingProgress.self, $0) }),
                  progress.dropoutRNG.count == 4,
                  let adamStep = metadata["adam_step"].flatMap({ Int($0) }), adamStep >= 0 else {
                throw fail("training state metadata is malformed")
            }
            let run = metadata["run"].flatMap { jsonValue([String: String].self, $0) } ?? [:]
            let carried = try contents.entries.filter { $0.name.hasPrefix(carriedPrefix) }.map {
                SafetensorsFile.Tensor(name: String($0.name.dropFirst(carriedPrefix.count)), shape: $0.shape, values: try contents.values($0, as: Float.self))
            }
            if let bad = carried.first(where: { !$0.values.allSatisfy(\.isFinite) }) {
                throw fail("\(carriedPrefix + bad.name) holds NaN or infinite values")
            }
            guard contents.entries.count - carried.count == 3 * layout.entries.count else { throw fail("training state does not match the model's parameters") }
            for prefix in ["", "exp_avg.", "exp_avg_sq."] {
                for e in layout.entries where contents.entry(prefix + e.name)?.shape != e.shape {
                    throw fail("training state has no \(prefix + e.name) of shape \(e.shape)")
                }
            }
            let position = Position(settings: settings, progress: progress, adamStep: adamStep, run: run, carriedState: carried)
            let (w, m, v) = try buffers(position)
            for (buffer, prefix) in [(w, ""), (m, "exp_avg."), (v, "exp_avg_sq.")] {
                precondition(buffer.count == layout.count, "the buffers are the layout's")
                for e in layout.entries {
                    let destination = UnsafeMutableBufferPointer(rebasing: buffer[e.offset..<(e.offset + e.count)])
                    try contents.read(contents.entry(prefix + e.name)!, into: UnsafeMutableRawBufferPointer(destination))
                    guard destination.allSatisfy({ $0.isFinite }) else { throw fail("\(prefix + e.name) holds NaN or infinite values") }
                }
            }
            return position
        }
    }
}
