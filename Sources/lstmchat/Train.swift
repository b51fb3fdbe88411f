import ArgumentParser
import Foundation
import LSTMChat

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on question/answer pairs (or, with --task, on text or labelled text).",
        discussion: """
            DATA is a TSV file (question<TAB>answer on each line), a ChatterBot YAML corpus \
            (.yml), or a directory of such files; or give two parallel files with --questions \
            and --answers. The model, the training state and the loss log go to the --out \
            directory after every epoch. Ctrl-C stops after the current step and saves; \
            --resume continues exactly where a run stopped.

            At the end, the model's default confidence threshold is chosen (see `lstmchat \
            calibrate`) from questions unrelated to the data (--unrelated), reworded ones \
            (--keywords) and the training questions, and stored in the model; without unrelated \
            questions the model answers everything.

            Examples:
              lstmchat train datasets/examples/small.tsv --out checkpoints/small
              lstmchat train --questions q.txt --answers a.txt --epochs 20
              lstmchat train --resume checkpoints/small --epochs 60
            """)

    @OptionGroup var source: DataOptions

    @Option(help: ArgumentHelp("""
        What to train: seq2seq (answers questions: DATA is question/answer pairs), lm (writes text: \
        DATA is a UTF-8 text file or a directory of .txt files) or classify (labels texts: DATA is \
        text<TAB>label lines, or a ChatterBot corpus labelled by its categories). (default: seq2seq)
        """, valueName: "task"))
    var task: String?

    @Option(help: ArgumentHelp("lm: tokens in each window of truncated backpropagation through time (default: 100).", valueName: "n"))
    var seqLength: Int?

    @Option(help: ArgumentHelp("Checkpoint directory (default: checkpoints/<data name>).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Continue the run saved in this checkpoint directory.", valueName: "dir"))
    var resume: String?

    @Option(help: ArgumentHelp("Loss log CSV (default: loss.csv in the checkpoint directory).", valueName: "file"))
    var log: String?

    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Solver") var solver: SolverOptions

    @Option(help: ArgumentHelp("""
        Questions unrelated to the data, one a line, for choosing the confidence threshold at the \
        end. (default: DATA-unrelated.txt beside the data, if there is one)
        """, valueName: "file"))
    var unrelated: String?

    @Option(help: ArgumentHelp("""
        Reworded questions of the data (question<TAB>regular expression of a right answer's key \
        words), for choosing the confidence threshold. (default: DATA-reworded.tsv, if there is one)
        """, valueName: "file"))
    var keywords: String?

    @Option(help: ArgumentHelp("Stop once the greedy exact match on the training questions reaches this share (0 to 1), measured after every epoch; the model is saved.", valueName: "share"))
    var untilAccuracy: Float?

    @Option(help: ArgumentHelp("Distinct training questions whose greedy answers are checked after every epoch; 0 checks all.", valueName: "n"))
    var exactMatchSample = 500

    @Option(help: "Threads to train on (default: one per CPU, and one alone while that is faster: when another program keeps a core busy).")
    var threads: Int?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if resume == nil, !source.isGiven {
            throw ValidationError("give the training data: a file or directory, or --questions and --answers")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let task, ModelTask(rawValue: task) == nil { throw ValidationError("--task must be seq2seq, lm or classify") }
        if let seqLength, seqLength < 1 { throw ValidationError("--seq-length must be at least 1") }
        if let untilAccuracy, !(untilAccuracy > 0 && untilAccuracy <= 1) { throw ValidationError("--until-accuracy must be in (0, 1]") }
        if exactMatchSample < 0 { throw ValidationError("--exact-match-sample must be 0 or more") }
        try model.validate()
        try solver.validate()
    }

    func run() throws {
        // Language models and classifiers train in TrainTask.swift, with the same trainer and checkpoints.
        if let other = resume.flatMap(TaskTraining.resumedTask) ?? task.flatMap(ModelTask.init(rawValue:)), other != .seq2seq {
            return try TaskTraining(train: self, task: other).run()
        }
        ThreadPolicy.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var progressBar = ProgressBar(quiet: quiet)

        // What to train: from the flags, or from the run being resumed (locked before it is read).
        var recipe = TrainingRecipe(source: source.dataSource, model: model, solver: solver)
        let directory = CheckpointDirectory(URL(fileURLWithPath: resume ?? out ?? "checkpoints/\(recipe.source.name)"))
        if resume != nil {
            try refuseChangesOnResume()
        } else if directory.holdsRun {
            throw CommandFailure("\(directory.url.path) already holds a training run; continue it with --resume \(directory.url.path), or choose another --out")
        }
        // A new run reads its data first: bad data creates nothing.
        let newRunPairs = resume == nil ? try recipe.source.read() : nil
        // The questions the confidence threshold is chosen from at the end: read now, so that a
        // bad file stops the run before it starts.
        var calibration = resume == nil ? try calibrationSets(for: recipe.source) : nil
        try directory.create()
        let lock = try DirectoryLock(directory: directory.url)
        defer { withExtendedLifetime(lock) {} }
        directory.removeUnfinishedWrites()
        var resumed: (trainer: Trainer, vocabulary: Vocabulary, tokenizer: Tokenizer, run: [String: String])?
        if resume != nil {
            resumed = try directory.resume { settings in
                if let epochs = solver.epochs { settings.epochs = epochs }
            }
            guard let saved = resumed!.run["recipe"].flatMap(TrainingRecipe.init(json:)) else {
                throw CommandFailure("\(directory.state.path): no record of the data this run trained on")
            }
            recipe = saved
            recipe.settings = resumed!.trainer.settings
            calibration = try calibrationSets(for: recipe.source)
        }

        // The data: read, split, tokenized, encoded.
        let pairs = try newRunPairs ?? recipe.source.read()
        let (trainPairs, validationPairs) = splitForValidation(pairs, fraction: recipe.validationFraction, seed: recipe.settings.seed)
        let tokenizer = resumed?.tokenizer ?? Tokenizer(kind: recipe.tokenizer)
        let tokenized = { (pairs: [QAPair]) in pairs.map { (tokenizer.tokenizeQuestion($0.question), tokenizer.tokenize($0.answer)) } }
        let trainTokens = tokenized(trainPairs), validationTokens = tokenized(validationPairs)
        let vocabulary = resumed?.vocabulary
            ?? Vocabulary(counting: trainTokens.flatMap { [$0.0, $0.1] }, minCount: recipe.minCount, maxSize: recipe.maxVocab)
        let encode = { (pairs: [([String], [String])]) in pairs.map { (question: vocabulary.encode($0.0), answer: vocabulary.encode($0.1)) } }
        let (train, truncated) = Batcher.truncate(encode(trainTokens), maxLength: recipe.maxLength)
        let batcher = Batcher(pairs: train, batchSize: recipe.settings.batchSize, seed: recipe.settings.seed,
                              wordDropout: recipe.wordDropout ?? 0)
        if truncated > 0 { progressBar.message("warning: \(truncated) pairs longer than \(recipe.maxLength) tokens were cut (--max-length)") }
        if batcher.droppedEmptyCount > 0 {
            progressBar.message("warning: \(batcher.droppedEmptyCount) pairs with no tokens on one side were left out")
        }
        guard !batcher.pairs.isEmpty else { throw CommandFailure("no pairs left to train on") }
        // Validation pairs as the model sees them, and their answers as the tokenizer wrote them.
        let kept = validationTokens.filter { !$0.0.isEmpty && !$0.1.isEmpty }
        let validation = Batcher.truncate(encode(kept), maxLength: recipe.maxLength).pairs
        let validationAnswers = kept.map { Array($0.1.prefix(recipe.maxLength)) }
        let fingerprint = Self.fingerprint(pairs)
        calibration?.corpus = trainPairs
        // What the model answers of its own questions, after every epoch.
        let probe = ExactMatchProbe(pairs: batcher.pairs, limit: exactMatchSample, maxLength: recipe.maxLength)
        // Stored with the model so that chat can match a question asked in other words to one of these.
        let knownQuestions = recipe.tokenizer == .word ? KnownQuestions(batcher.pairs.map(\.question)) : nil
        var shownAnswers: [String] = []

        let trainer: Trainer
        if let resumed {
            trainer = resumed.trainer
            if resumed.run["data_fingerprint"] != fingerprint {
                progressBar.message("warning: the data changed since this run started; continuing on the data as it is now")
            }
        } else {
            let config = ModelConfig(vocabSize: vocabulary.count, embedSize: recipe.embed, hiddenSize: recipe.hidden, layers: recipe.layers,
                                     attention: recipe.attention ?? false)
            let model = Seq2SeqModel(config: config)
            model.parameters.initialize(seed: recipe.settings.seed, hiddenSize: config.hiddenSize)
            trainer = Trainer(model: model, settings: recipe.settings)
        }
        let runInfo = ["recipe": recipe.json, "data_fingerprint": fingerprint]
        let logWriter = try LossLogWriter(appendingTo: log.map { URL(fileURLWithPath: $0) } ?? directory.log,
                                          keepingStepsThrough: trainer.progress.step)

        let config = trainer.model.config
        progressBar.message("""
            training on \(batcher.pairs.count) pairs (\(validation.count) held out), vocabulary \(vocabulary.count), \
            \(config.layers)×\(config.hiddenSize) LSTM\(config.attention ? " with attention" : ""), \(trainer.model.parameters.values.count) parameters\
            \(resumed != nil ? ", resuming at epoch \(trainer.progress.epoch + 1) step \(trainer.progress.step)" : "")
            """)

        trainer.threadTuner = makeThreadTuner()
        let trainingRun = TrainingRun(
            trainer: trainer,
            batches: { batcher.batches(epoch: $0) },
            validate: {
                guard !validation.isEmpty else { return nil }
                let e = Evaluator.evaluate(model: trainer.model, vocabulary: vocabulary, pairs: validation,
                                           answerTokens: validationAnswers, maxAnswerLength: recipe.maxLength)
                return TrainingRun.Validation(loss: e.loss, accuracy: e.accuracy)
            },
            measure: {
                let result = probe.measure(trainer.model)
                shownAnswers = result.samples.map { sample in
                    let text = { (ids: [Int32]) in tokenizer.detokenize(ids.map { vocabulary.tokens[Int($0)] }) }
                    return "  \(text(sample.question)) → \(text(sample.answer))"
                }
                return result.exactMatch
            },
            log: { try logWriter.append($0) },
            save: { isBest in try directory.save(trainer: trainer, vocabulary: vocabulary, tokenizer: tokenizer,
                                                knownQuestions: knownQuestions?.questions ?? [], run: runInfo, isBest: isBest) })

        Interrupt.install()
        let epochs = trainer.settings.epochs
        let outcome = try trainingRun.run(
            targetExactMatch: untilAccuracy,
            shouldStop: { Interrupt.requested },
            onStep: { r in
                progressBar.update(epoch: r.epoch, epochs: epochs, step: r.stepInEpoch, steps: r.stepsInEpoch,
                                   loss: r.result.loss, tokensPerSecond: r.tokensPerSecond, remainingSeconds: r.remainingSeconds)
            },
            onEpoch: { epoch, v, exactMatch in
                var figures: [String] = []
                if let exactMatch {
                    figures.append(String(format: "exact match %.1f%% of %d training questions", 100 * exactMatch, probe.questions.count))
                }
                if let v {
                    figures.append(String(format: "validation loss %.3f, perplexity %.1f, accuracy %.1f%%", v.loss, v.perplexity, 100 * v.accuracy))
                }
                progressBar.message("epoch \(epoch)/\(epochs) done" + (figures.isEmpty ? "" : ": " + figures.joined(separator: "; ")))
                for line in shownAnswers { progressBar.message(line) }
            })
        // The model as chat will load it: its questions asked in other words are matched as chat's are.
        let chatModel = {
            ChatModel(network: trainer.model, vocabulary: vocabulary, tokenizer: tokenizer, trainingSteps: nil,
                      knownQuestions: knownQuestions, path: directory.model.path)
        }
        switch outcome {
        case .finished:
            if let untilAccuracy {
                progressBar.message(String(format: "did not reach %.1f%% exact match in %d epochs", 100 * untilAccuracy, epochs))
            }
            try storeConfidenceThreshold(calibration, directory: directory, model: chatModel(), maxLength: recipe.maxLength,
                                         progressBar: &progressBar)
            progressBar.message("saved \(directory.model.path); chat with it: lstmchat chat --checkpoint \(directory.url.path)")
        case let .reachedTarget(epoch, exactMatch):
            progressBar.message(String(format: "reached %.1f%% exact match (asked: %.1f%%) after epoch %d, %.1f s of training",
                                       100 * exactMatch, 100 * untilAccuracy!, epoch, trainer.progress.elapsedSeconds))
            try storeConfidenceThreshold(calibration, directory: directory, model: chatModel(), maxLength: recipe.maxLength,
                                         progressBar: &progressBar)
            progressBar.message("saved \(directory.model.path); chat with it: lstmchat chat --checkpoint \(directory.url.path)")
        case .interrupted:
            FileHandle.standardError.write(Data("saved at step \(trainer.progress.step); continue with: lstmchat train --resume \(directory.url.path)\n".utf8))
            throw ExitCode(130)
        }
    }

    /// The unrelated and reworded questions of --unrelated and --keywords, or else of the files
    /// beside the data; nil without unrelated questions.
    private func calibrationSets(for source: DataSource) throws -> CalibrationSets? {
        let companions = CalibrationSets.companions(of: source.data)
        return try (unrelated ?? companions.unrelated).map {
            try CalibrationSets.read(unrelated: $0, reworded: keywords ?? companions.reworded)
        }
    }

    /// Chooses the confidence threshold from the calibration questions (at most 500 distinct
    /// training questions; all answered in batches, so it takes about a second) and stores it in
    /// the saved model.
    private func storeConfidenceThreshold(_ sets: CalibrationSets?, directory: CheckpointDirectory, model: ChatModel,
                                          maxLength: Int, progressBar: inout ProgressBar) throws {
        guard let sets else {
            progressBar.message("no confidence threshold chosen: no unrelated questions (--unrelated FILE, or DATA-unrelated.txt beside the data)")
            return
        }
        let scores = sets.score(model, maxLength: maxLength, corpusQuestions: 500)
        guard let threshold = scores.chooseThreshold() else {
            progressBar.message("no confidence threshold chosen: none refuses an unrelated question within the limits")
            return
        }
        var file = try CheckpointFile.read(directory.model)
        file.confidence = ConfidenceThreshold(threshold: threshold)
        try file.write(to: directory.model)
        progressBar.message("min confidence \(ConfidenceReport.number(threshold)) stored in the model: \(ConfidenceReport.line(scores.tradeoff(at: threshold), scores))")
    }

    /// A 64-bit FNV-1a hash of the pairs' text: tells a resumed run whether its data changed.
    static func fingerprint(_ pairs: [QAPair]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for pair in pairs {
            for byte in pair.question.utf8 + [9] + pair.answer.utf8 + [10] {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
        return String(hash, radix: 16)
    }

    /// On --resume the run's own settings hold; only --epochs may move.
    func refuseChangesOnResume() throws {
        let given: [(String, Any?)] = [
            ("DATA", source.data), ("--questions", source.questions), ("--format", source.format), ("--out", out),
            ("--embed", model.embed), ("--hidden", model.hidden), ("--layers", model.layers), ("--attention", model.attention),
            ("--tokenizer", model.tokenizer),
            ("--min-count", model.minCount), ("--max-vocab", model.maxVocab), ("--lr", solver.lr), ("--lr-decay", solver.lrDecay),
            ("--clip", solver.clip), ("--dropout", solver.dropout), ("--word-dropout", solver.wordDropout), ("--batch-size", solver.batchSize),
            ("--max-length", solver.maxLength), ("--val-fraction", solver.valFraction), ("--seed", solver.seed),
            ("--seq-length", seqLength),
        ]
        if let (flag, _) = given.first(where: { $0.1 != nil }) {
            throw CommandFailure("\(flag) cannot change when resuming: a resumed run keeps its data and settings (only --epochs may grow)")
        }
    }
}

struct ModelOptions: ParsableArguments {
    @Option(help: "Word vector size (default: 64; --task lm: 32).") var embed: Int?
    @Option(help: "LSTM hidden size (default: 128; --task lm: 256).") var hidden: Int?
    @Option(help: "LSTM layers in the encoder and in the decoder (default: 1).") var layers: Int?
    @Flag(inversion: .prefixedNo, help: "Luong attention: the decoder looks back at the question's words at every step (default: on).")
    var attention: Bool?
    @Option(help: "Tokenizer: word or char (default: word).") var tokenizer: String?
    @Option(help: "Keep words seen at least this often (default: 1).") var minCount: Int?
    @Option(help: "Vocabulary size limit, special tokens included (default: 20000).") var maxVocab: Int?

    func validate() throws {
        for (flag, value) in [("--embed", embed), ("--hidden", hidden), ("--layers", layers), ("--min-count", minCount)] {
            if let value, value < 1 { throw ValidationError("\(flag) must be at least 1") }
        }
        if let maxVocab, maxVocab < 5 { throw ValidationError("--max-vocab must be at least 5 (4 special tokens and a word)") }
        if let tokenizer, Tokenizer.Kind(rawValue: tokenizer) == nil { throw ValidationError("--tokenizer must be word or char") }
    }
}

struct SolverOptions: ParsableArguments {
    @Option(help: "Passes over the training data (default: 40).") var epochs: Int?
    @Option(help: "Adam learning rate (default: 0.02; --task lm: 0.002, classify: 0.005).") var lr: Float?
    @Option(help: "Learning-rate factor applied after every epoch (default: 0.9).") var lrDecay: Float?
    @Option(help: "Clip the global gradient norm to this; 0 turns it off (default: 5).") var clip: Float?
    @Option(help: "Dropout between layers and before the output layer (default: 0).") var dropout: Float?
    @Option(help: "Share of question words replaced by <unk> in training, so that no one word decides the answer (default: 0).")
    var wordDropout: Float?
    @Option(help: "Pairs per batch (default: 32).") var batchSize: Int?
    @Option(help: "Longest question or answer in tokens; longer ones are cut (default: 60).") var maxLength: Int?
    @Option(help: "Share of pairs held out for validation (default: 0: a chatbot learns all its pairs).") var valFraction: Double?
    @Option(help: "Random seed: the same seed, data and flags give the same model (default: 1).") var seed: UInt64?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be greater than 0") }
        if let lrDecay, !(lrDecay > 0 && lrDecay <= 1) { throw ValidationError("--lr-decay must be in (0, 1]") }
        if let clip, !(clip >= 0) { throw ValidationError("--clip must be 0 or more") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
        if let wordDropout, !(wordDropout >= 0 && wordDropout < 1) { throw ValidationError("--word-dropout must be in [0, 1)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
        if let valFraction, !(valFraction >= 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in [0, 1)") }
    }
}

/// Everything a run was started with, stored in its training state so --resume needs no flags.
struct TrainingRecipe: Codable {
    var source: DataSource
    var tokenizer: Tokenizer.Kind
    var embed: Int, hidden: Int, layers: Int
    var attention: Bool?  // nil in runs started before attention existed: off
    var wordDropout: Float?  // nil in runs started before word dropout existed: 0
    var minCount: Int, maxVocab: Int
    var maxLength: Int
    var validationFraction: Double
    var settings: TrainingSettings

    init(source: DataSource, model: ModelOptions, solver: SolverOptions) {
        self.source = source
        tokenizer = model.tokenizer.flatMap(Tokenizer.Kind.init(rawValue:)) ?? .word
        // The defaults: the recipe that learned the bundled corpus fastest (README, "Learning quality").
        embed = model.embed ?? 64
        hidden = model.hidden ?? 128
        layers = model.layers ?? 1
        attention = model.attention ?? true
        wordDropout = solver.wordDropout ?? 0
        minCount = model.minCount ?? 1
        maxVocab = model.maxVocab ?? 20_000
        maxLength = solver.maxLength ?? 60
        validationFraction = solver.valFraction ?? 0
        settings = TrainingSettings()
        settings.learningRate = 0.02
        settings.lrDecay = 0.9
        settings.dropout = 0
        if let v = solver.epochs { settings.epochs = v }
        if let v = solver.lr { settings.learningRate = v }
        if let v = solver.lrDecay { settings.lrDecay = v }
        if let v = solver.clip { settings.clip = v }
        if let v = solver.dropout { settings.dropout = v }
        if let v = solver.batchSize { settings.batchSize = v }
        if let v = solver.seed { settings.seed = v }
    }

    init?(json: String) {
        guard let value = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
        self = value
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

extension Train {
    /// Without --threads, training runs on every CPU with a `ThreadTuner`, which moves to one
    /// thread while that trains faster (another program keeping a core busy) and back. The thread
    /// count does not change what is computed (`Math/BLAS.swift`): the run is the same either way.
    func makeThreadTuner() -> ThreadTuner? {
        threads == nil && ThreadPolicy.threads > 1 ? ThreadTuner() : nil
    }
}
