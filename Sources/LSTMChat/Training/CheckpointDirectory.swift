import Foundation

/// A training run's directory (`--out checkpoints/NAME`):
///
///     model.safetensors      the latest model: all `chat` needs
///     best.safetensors       the model with the lowest validation loss so far
///     training.safetensors   weights, Adam's moments and the position in the run, for --resume
///     loss.csv               the loss log
///     pairs.cache            the data tokenized (`PairsCache`), which --resume maps instead of reading the data
///     .lock                  held while a run trains here
///
/// Each file is replaced atomically. The training state goes first (but for the first save,
/// when there is no model yet): it alone decides where a resumed run continues, so a crash
/// between the two writes costs nothing.
public struct CheckpointDirectory {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var model: URL { url.appendingPathComponent("model.safetensors") }
    public var best: URL { url.appendingPathComponent("best.safetensors") }
    public var state: URL { url.appendingPathComponent("training.safetensors") }
    public var log: URL { url.appendingPathComponent("loss.csv") }
    public var pairsCache: URL { url.appendingPathComponent(PairsCache.fileName) }

    public var holdsRun: Bool { FileManager.default.fileExists(atPath: state.path) }

    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            // The system's reason ("Not a directory", "File exists", ...), not Foundation's wrapper.
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? Error).map {
                String(cString: strerror(Int32(($0 as NSError).code)))
            } ?? error.localizedDescription
            throw CheckpointError(url.path, "cannot create the checkpoint directory: \(reason)")
        }
    }

    /// The temporary files of writes under way here, or of writes a killed run never finished.
    public var unfinishedWrites: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter(AtomicFile.isTemporary)
    }

    /// Removes the temporary files of writes that a killed run never finished (call it while
    /// holding the directory's lock: then no one else is writing them).
    public func removeUnfinishedWrites() {
        for name in unfinishedWrites { try? FileManager.default.removeItem(at: url.appendingPathComponent(name)) }
    }

    /// Saves a run of any task: its state, then `checkpoint` (the trainer's model) with the
    /// run's position added to its training facts.
    public func save<Model>(trainer: Trainer<Model>, checkpoint: CheckpointFile, run: [String: String], isBest: Bool) throws {
        let parameters = trainer.model.parameters
        var checkpoint = checkpoint
        let info = ["steps": String(trainer.progress.step), "epochs": String(trainer.progress.epoch)].merging(run) { a, _ in a }
        checkpoint.training = info.merging(checkpoint.training) { a, _ in a }
        // The first save writes the model first: a state with no model beside it could not be
        // resumed, while a model with no state is a run that starts over.
        let isFirst = !FileManager.default.fileExists(atPath: model.path)
        if isFirst { try checkpoint.write(to: model) }
        try TrainingStateFile.write(
            to: state, layout: parameters.layout, settings: trainer.settings, progress: trainer.progress, adamStep: trainer.adam.step,
            weights: UnsafeBufferPointer(parameters.values.buffer), firstMoment: UnsafeBufferPointer(trainer.adam.firstMoment.buffer),
            secondMoment: UnsafeBufferPointer(trainer.adam.secondMoment.buffer), run: run, carriedState: trainer.model.carriedState())
        if !isFirst { try checkpoint.write(to: model) }
        if isBest { try checkpoint.write(to: best) }
    }

    /// A run of any task saved here: `makeModel` builds the model from the checkpoint (whose
    /// parameters already hold the saved weights) or refuses it.
    public func resume<Model>(settings override: (inout TrainingSettings) -> Void = { _ in },
                              model makeModel: (CheckpointFile) throws -> Model) throws
        -> (trainer: Trainer<Model>, checkpoint: CheckpointFile, run: [String: String])
    {
        guard holdsRun else { throw CheckpointError(url.path, "no training run to resume here (no training.safetensors)") }
        // Its known questions are the data's, made again (`TaskData.annotate`): not read.
        let checkpoint = try CheckpointFile.read(model, knownQuestions: false)
        _ = try checkpoint.vocabularyAndTokenizer(file: model.path)
        // The weights the state holds replace the model's (they are the same but for a crash
        // between the two writes), read in place with Adam's moments.
        var trainer: Trainer<Model>!
        let saved = try TrainingStateFile.read(state, layout: checkpoint.parameters.layout) { saved in
            var settings = saved.settings
            override(&settings)
            trainer = Trainer(model: try makeModel(checkpoint), settings: settings, progress: saved.progress)
            return (trainer.model.parameters.values.buffer, trainer.adam.firstMoment.buffer, trainer.adam.secondMoment.buffer)
        }
        guard trainer.model.restoreCarriedState(saved.carriedState) else {
            throw CheckpointError(state.path, "the state carried between batches does not fit the model")
        }
        trainer.adam.restore(step: saved.adamStep)
        return (trainer, checkpoint, saved.run)
    }
}

extension CheckpointFile {
    /// The checked vocabulary and tokenizer of a checkpoint read from `file`.
    public func vocabularyAndTokenizer(file: String) throws -> (Vocabulary, Tokenizer) {
        guard let vocabulary = try? Vocabulary(tokens: self.vocabulary) else {
            throw CheckpointError(file, "the vocabulary in its metadata is not valid")
        }
        guard let kind = Tokenizer.Kind(rawValue: tokenizer) else {
            throw CheckpointError(file, "unknown tokenizer \(tokenizer)")
        }
        return (vocabulary, Tokenizer(kind: kind, normalizesQuestions: normalizesQuestions, keepsText: keepsText))
    }
}
