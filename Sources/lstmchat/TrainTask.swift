import ArgumentParser
import Foundation
import LSTMChat

/// `train --task lm` and `train --task classify`: the data reader and model of each task, with
/// the trainer, checkpoints, loss log, progress and Ctrl-C that seq2seq training uses.
struct TaskTraining {
    /// Everything a run was started with, stored in its training state so --resume needs no flags.
    struct Recipe: Codable {
        var task: ModelTask
        var data: String
        var tokenizer: Tokenizer.Kind
        var embed: Int, hidden: Int, layers: Int
        var minCount: Int, maxVocab: Int
        /// lm: the window length; classify: the longest text, in tokens.
        var length: Int
        var validationFraction: Double
        var settings: TrainingSettings

        init(task: ModelTask, train: Train) {
            self.task = task
            data = train.source.data ?? ""
            let lm = task == .languageModel
            tokenizer = train.model.tokenizer.flatMap(Tokenizer.Kind.init(rawValue:)) ?? (lm ? .char : .word)
            embed = train.model.embed ?? (lm ? 32 : 64)
            hidden = train.model.hidden ?? (lm ? 256 : 128)
            layers = train.model.layers ?? (lm ? 2 : 1)
            minCount = train.model.minCount ?? 1
            maxVocab = train.model.maxVocab ?? 20_000
            length = (lm ? train.seqLength : train.solver.maxLength) ?? (lm ? 100 : 60)
            validationFraction = train.solver.valFraction ?? 0.1
            settings = TrainingSettings()
            settings.epochs = train.solver.epochs ?? (lm ? 20 : 40)
            settings.learningRate = train.solver.lr ?? (lm ? 0.002 : 0.005)
            settings.lrDecay = train.solver.lrDecay ?? (lm ? 0.95 : 0.97)
            settings.clip = train.solver.clip ?? 5
            settings.dropout = train.solver.dropout ?? (lm ? 0 : 0.2)
            settings.batchSize = train.solver.batchSize ?? (lm ? 32 : 32)
            settings.seed = train.solver.seed ?? 1
        }

        var json: String { String(decoding: try! JSONEncoder().encode(self), as: UTF8.self) }
        static func from(json: String?) -> Recipe? { json.flatMap { try? JSONDecoder().decode(Recipe.self, from: Data($0.utf8)) } }
    }

    let train: Train
    let task: ModelTask

    /// The task of the run in --resume DIR, when it is not seq2seq.
    static func resumedTask(_ directory: String) -> ModelTask? {
        let task = CheckpointFile.task(of: CheckpointDirectory(URL(fileURLWithPath: directory)).model)
        return task == .seq2seq ? nil : task
    }

    func run() throws {
        ThreadPolicy.threads = train.threads ?? ProcessInfo.processInfo.activeProcessorCount
        var recipe = Recipe(task: task, train: train)
        let name = URL(fileURLWithPath: recipe.data).deletingPathExtension().lastPathComponent
        let directory = CheckpointDirectory(URL(fileURLWithPath: train.resume ?? train.out ?? "checkpoints/\(name)-\(task.rawValue)"))
        if train.resume == nil {
            if train.source.questions != nil || train.source.format != nil {
                throw CommandFailure("--questions, --answers and --format are for question/answer data; --task \(task.rawValue) reads DATA")
            }
            if directory.holdsRun {
                throw CommandFailure("\(directory.url.path) already holds a training run; continue it with --resume \(directory.url.path), or choose another --out")
            }
        } else {
            try train.refuseChangesOnResume()
            guard let saved = Self.savedRecipe(directory) else {
                throw CommandFailure("\(directory.state.path): no record of the data this run trained on")
            }
            recipe = saved
        }
        switch task {
        case .languageModel: try LanguageModelTraining(recipe: recipe, directory: directory, train: train).run()
        case .classifier: try ClassifierTraining(recipe: recipe, directory: directory, train: train).run()
        case .seq2seq: preconditionFailure("seq2seq trains in Train")
        }
    }

    /// The recipe in a run's training state (read without the weights' layout check).
    static func savedRecipe(_ directory: CheckpointDirectory) -> Recipe? {
        guard let (_, metadata) = try? SafetensorsFile.read(directory.state),
              let run = metadata["run"].flatMap({ try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }) else { return nil }
        return Recipe.from(json: run["recipe"])
    }
}

/// The loop both tasks share once their data and model are ready.
struct TaskRunner<Model: TrainableModel> {
    let directory: CheckpointDirectory
    let train: Train

    typealias Validation = ModelTrainingRun<Model>.Validation

    /// `logColumns`: the figures a language model's log adds, derived from the validation loss.
    func run(trainer: ModelTrainer<Model>, progressBar: inout ProgressBar, batches: @escaping (Int) -> [Model.Batch],
             validate: @escaping () -> Validation?, describe: @escaping (Validation) -> String,
             checkpoint: @escaping () -> CheckpointFile, runInfo: [String: String], logColumns: [LossLog.ExtraColumn] = []) throws {
        let logWriter = try LossLogWriter(appendingTo: train.log.map { URL(fileURLWithPath: $0) } ?? directory.log,
                                          keepingStepsThrough: trainer.progress.step, adding: logColumns)
        trainer.threadTuner = train.makeThreadTuner()
        let trainingRun = ModelTrainingRun(
            trainer: trainer, batches: batches, validate: validate,
            log: { row in
                var row = row
                if let loss = row.validationLoss {
                    // The loss is in nats: bits are nats / ln 2, and the perplexity e^loss.
                    if logColumns.contains(.validationBitsPerCharacter) { row.validationBitsPerCharacter = loss / Float(M_LN2) }
                    if logColumns.contains(.validationPerplexity) { row.validationPerplexity = exp(loss) }
                }
                try logWriter.append(row)
            },
            save: { isBest in try directory.save(trainer: trainer, checkpoint: checkpoint(), run: runInfo, isBest: isBest) })
        Interrupt.install()
        let epochs = trainer.settings.epochs
        var bar = progressBar
        let outcome = try trainingRun.run(
            shouldStop: { Interrupt.requested },
            onStep: { r in
                bar.update(epoch: r.epoch, epochs: epochs, step: r.stepInEpoch, steps: r.stepsInEpoch,
                           loss: r.result.loss, tokensPerSecond: r.tokensPerSecond, remainingSeconds: r.remainingSeconds)
            },
            onEpoch: { epoch, v, _ in bar.message("epoch \(epoch)/\(epochs) done" + (v.map { ": " + describe($0) } ?? "")) })
        progressBar = bar
        switch outcome {
        case .finished, .reachedTarget:  // task runs measure no exact match, so never reach a target
            progressBar.message("saved \(directory.model.path)")
        case .interrupted:
            FileHandle.standardError.write(Data("saved at step \(trainer.progress.step); continue with: lstmchat train --resume \(directory.url.path)\n".utf8))
            throw ExitCode(130)
        }
    }

    /// The directory, created and locked for this process, before anything is written in it.
    static func prepare(_ directory: CheckpointDirectory) throws -> DirectoryLock {
        try directory.create()
        let lock = try DirectoryLock(directory: directory.url)
        directory.removeUnfinishedWrites()
        return lock
    }
}

/// `train --task lm`: a text read in windows with the state carried across (truncated
/// backpropagation through time); the text's last share is held out for validation.
struct LanguageModelTraining {
    let recipe: TaskTraining.Recipe
    let directory: CheckpointDirectory
    let train: Train

    func run() throws {
        var progressBar = ProgressBar(quiet: train.quiet)
        let resuming = train.resume != nil
        let lines = try PlainTextReader.read(recipe.data)
        let lock = try TaskRunner<LanguageModel>.prepare(directory)
        defer { withExtendedLifetime(lock) {} }

        let resumed = resuming ? try directory.resume(settings: { if let e = train.solver.epochs { $0.epochs = e } }) { checkpoint in
            guard checkpoint.task == .languageModel else {
                throw CheckpointError(directory.model.path, TaskModels.wrongTask(directory.model.path, checkpoint.task, wanted: .languageModel))
            }
            return LanguageModel(config: checkpoint.config, parameters: checkpoint.parameters)
        } : nil
        let tokenizer = try resumed.map { try $0.checkpoint.vocabularyAndTokenizer(file: directory.model.path).1 } ?? Tokenizer(kind: recipe.tokenizer)
        let tokens = PlainTextReader.tokens(lines, tokenizer: tokenizer)
        let heldOut = recipe.validationFraction > 0 ? Int(Double(tokens.count) * recipe.validationFraction) : 0
        let trainTokens = Array(tokens[..<(tokens.count - heldOut)]), validationTokens = Array(tokens[(tokens.count - heldOut)...])
        let vocabulary = try resumed.map { try $0.checkpoint.vocabularyAndTokenizer(file: directory.model.path).0 }
            ?? Vocabulary(counting: [trainTokens], minCount: recipe.minCount, maxSize: recipe.maxVocab)
        guard let windows = TextWindows(ids: vocabulary.encode(trainTokens), batchSize: recipe.settings.batchSize, steps: recipe.length) else {
            throw DataError(file: recipe.data, "too short to train on: \(trainTokens.count) tokens for \(recipe.settings.batchSize) rows (--batch-size)")
        }
        let validationWindows = TextWindows(ids: vocabulary.encode(validationTokens), batchSize: max(1, min(recipe.settings.batchSize, heldOut / (2 * recipe.length))),
                                            steps: recipe.length)

        let trainer: ModelTrainer<LanguageModel>
        if let resumed {
            trainer = resumed.trainer
        } else {
            let config = ModelConfig(vocabSize: vocabulary.count, embedSize: recipe.embed, hiddenSize: recipe.hidden, layers: recipe.layers)
            let model = LanguageModel(config: config)
            model.parameters.initialize(seed: recipe.settings.seed, hiddenSize: config.hiddenSize)
            trainer = ModelTrainer(model: model, settings: recipe.settings)
        }
        let config = trainer.model.config
        let unit = tokenizer.kind == .char ? "character" : "word"
        progressBar.message("""
            training a language model on \(trainTokens.count) tokens (\(heldOut) held out) in windows of \(recipe.length), \
            vocabulary \(vocabulary.count), \(config.layers)×\(config.hiddenSize) LSTM, \(trainer.model.parameters.values.count) parameters\
            \(resumed != nil ? ", resuming at epoch \(trainer.progress.epoch + 1) step \(trainer.progress.step)" : "")
            """)
        let batches = windows.batches
        try TaskRunner<LanguageModel>(directory: directory, train: train).run(
            trainer: trainer, progressBar: &progressBar,
            batches: { _ in batches },
            validate: {
                guard let validationWindows else { return nil }
                let score = LanguageModelScore(trainer.model, validationWindows)
                return .init(loss: score.loss, accuracy: Float(score.accuracy))
            },
            describe: { v in
                // Characters are measured in bits, words by perplexity: the figures each is quoted in.
                let figure = tokenizer.kind == .char ? String(format: "%.3f bits per character", Double(v.loss) / log(2))
                                                     : String(format: "perplexity %.2f", Double(v.perplexity))
                return String(format: "validation loss %.3f, %@, next-%@ accuracy %.1f%%", v.loss, figure, unit, 100 * v.accuracy)
            },
            checkpoint: {
                CheckpointFile(config: config, parameters: trainer.model.parameters, vocabulary: vocabulary.tokens,
                               tokenizer: tokenizer.kind.rawValue, task: .languageModel)
            },
            runInfo: ["recipe": recipe.json],
            logColumns: [tokenizer.kind == .char ? .validationBitsPerCharacter : .validationPerplexity])
        progressBar.message("write with it: lstmchat generate --checkpoint \(directory.url.path)")
    }
}

/// `train --task classify`: labelled texts, a seeded share held out for validation, batches
/// shuffled anew each epoch.
struct ClassifierTraining {
    let recipe: TaskTraining.Recipe
    let directory: CheckpointDirectory
    let train: Train

    func run() throws {
        var progressBar = ProgressBar(quiet: train.quiet)
        let texts = try LabelledTextReader.read(recipe.data)
        let (trainTexts, validationTexts) = splitForValidation(texts, fraction: recipe.validationFraction, seed: recipe.settings.seed)
        let lock = try TaskRunner<ClassifierModel>.prepare(directory)
        defer { withExtendedLifetime(lock) {} }

        let resumed = train.resume != nil ? try directory.resume(settings: { if let e = train.solver.epochs { $0.epochs = e } }) { checkpoint in
            guard checkpoint.task == .classifier else {
                throw CheckpointError(directory.model.path, TaskModels.wrongTask(directory.model.path, checkpoint.task, wanted: .classifier))
            }
            return ClassifierModel(config: checkpoint.config, classes: checkpoint.labels.count, parameters: checkpoint.parameters)
        } : nil
        let tokenizer = try resumed.map { try $0.checkpoint.vocabularyAndTokenizer(file: directory.model.path).1 } ?? Tokenizer(kind: recipe.tokenizer)
        let labels = resumed?.checkpoint.labels ?? Array(Set(trainTexts.map(\.label))).sorted()
        let labelIDs = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        if let orphan = validationTexts.first(where: { labelIDs[$0.label] == nil }) {
            throw DataError(file: orphan.file, line: orphan.line, "label \"\(orphan.label)\" is only in the validation share; "
                            + "give it more texts or change --val-fraction or --seed")
        }
        let tokenize = { (t: LabelledText) in Array(tokenizer.tokenize(t.text).prefix(recipe.length)) }
        let trainTokens = trainTexts.map(tokenize)
        let vocabulary = try resumed.map { try $0.checkpoint.vocabularyAndTokenizer(file: directory.model.path).0 }
            ?? Vocabulary(counting: trainTokens, minCount: recipe.minCount, maxSize: recipe.maxVocab)
        func encoded(_ texts: [LabelledText], _ tokens: [[String]]) -> [(ids: [Int32], label: Int32)] {
            zip(texts, tokens).filter { !$0.1.isEmpty }.map { (vocabulary.encode($0.1), labelIDs[$0.0.label]!) }
        }
        let trainSet = encoded(trainTexts, trainTokens), validationSet = encoded(validationTexts, validationTexts.map(tokenize))
        if trainSet.count < trainTexts.count { progressBar.message("warning: \(trainTexts.count - trainSet.count) texts with no tokens were left out") }
        guard !trainSet.isEmpty else { throw CommandFailure("no texts left to train on") }

        let trainer: ModelTrainer<ClassifierModel>
        if let resumed {
            trainer = resumed.trainer
        } else {
            let config = ModelConfig(vocabSize: vocabulary.count, embedSize: recipe.embed, hiddenSize: recipe.hidden, layers: recipe.layers)
            let model = ClassifierModel(config: config, classes: labels.count)
            model.parameters.initialize(seed: recipe.settings.seed, hiddenSize: config.hiddenSize)
            trainer = ModelTrainer(model: model, settings: recipe.settings)
        }
        let config = trainer.model.config
        if !validationSet.isEmpty {
            let counts = Dictionary(grouping: validationSet, by: \.label).mapValues(\.count)
            let (label, count) = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!
            progressBar.message(String(format: "held-out texts: %.1f%% are \"%@\", what always saying the most frequent label would get right",
                                       100 * Double(count) / Double(validationSet.count), labels[Int(label)]))
        }
        progressBar.message("""
            training a classifier on \(trainSet.count) texts (\(validationSet.count) held out), \(labels.count) labels, \
            vocabulary \(vocabulary.count), \(config.layers)×\(config.hiddenSize) LSTM, \(trainer.model.parameters.values.count) parameters\
            \(resumed != nil ? ", resuming at epoch \(trainer.progress.epoch + 1) step \(trainer.progress.step)" : "")
            """)
        let batcher = ClassifierBatcher(rows: trainSet, batchSize: recipe.settings.batchSize, seed: recipe.settings.seed)
        func batch(_ rows: ArraySlice<(ids: [Int32], label: Int32)>) -> ClassifierBatch {
            ClassifierBatch(texts: rows.map(\.ids), labels: rows.map(\.label))
        }
        try TaskRunner<ClassifierModel>(directory: directory, train: train).run(
            trainer: trainer, progressBar: &progressBar,
            batches: { batcher.batches(epoch: $0) },
            validate: {
                guard !validationSet.isEmpty else { return nil }
                var lossSum: Double = 0, correct = 0
                for start in stride(from: 0, to: validationSet.count, by: 64) {
                    let rows = validationSet[start..<min(start + 64, validationSet.count)]
                    let b = batch(rows)
                    lossSum += Double(trainer.model.loss(b)) * Double(rows.count)
                    for (p, row) in zip(trainer.model.probabilities(b), rows) where p.indices.max(by: { p[$0] < p[$1] }) == Int(row.label) {
                        correct += 1
                    }
                }
                return .init(loss: Float(lossSum / Double(validationSet.count)), accuracy: Float(correct) / Float(validationSet.count))
            },
            describe: { v in String(format: "validation loss %.3f, accuracy %.1f%%", v.loss, 100 * v.accuracy) },
            checkpoint: {
                CheckpointFile(config: config, parameters: trainer.model.parameters, vocabulary: vocabulary.tokens,
                               tokenizer: tokenizer.kind.rawValue, task: .classifier, labels: labels)
            },
            runInfo: ["recipe": recipe.json])
        progressBar.message("label texts with it: lstmchat ask --checkpoint \(directory.url.path) \"some text\"")
    }
}
