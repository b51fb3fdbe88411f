import ArgumentParser
import Foundation
import LSTMChat

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on question/answer pairs (or, with --task, on text or labelled text).",
        discussion: """
            DATA is, for --task seq2seq (the default), a TSV file (question<TAB>answer on each \
            line), a ChatterBot YAML corpus (.yml), or a directory of such files, or two parallel \
            files given with --questions and --answers; for --task lm, a UTF-8 text file or a \
            directory of .txt files; for --task classify, text<TAB>label lines or a ChatterBot \
            corpus labelled by its categories. `-` reads DATA from standard input.

            Each flag's help gives its default for every task that takes it; a flag a task does \
            not take is refused. The model, the training state and the loss log go to the --out \
            directory after every epoch. Ctrl-C (or SIGTERM) stops after the current step and \
            saves; --resume continues exactly where a run stopped.

            A seq2seq run ends by choosing the model's confidence threshold (see `lstmchat \
            calibrate`) from questions unrelated to the data (--unrelated), reworded ones \
            (--keywords) and the training questions; without unrelated questions the model \
            answers everything.

            Examples:
              lstmchat train datasets/examples/small.tsv --out checkpoints/small
              lstmchat train --questions q.txt --answers a.txt --epochs 20
              lstmchat train --task lm datasets/kjv --out checkpoints/kjv
              lstmchat train --resume checkpoints/small --epochs 60
            """)

    @Argument(help: ArgumentHelp("The training data: a file or a directory (see above).", valueName: "data"))
    var data: String?

    @Option(help: ArgumentHelp("""
        What to train: seq2seq (answers questions), lm (writes text) or classify (labels texts). \
        (default: seq2seq)
        """, valueName: "task"))
    var task: ModelTask?

    @Option(help: ArgumentHelp("Checkpoint directory (default: checkpoints/<data name>, with -lm or -classify for those tasks).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Continue the run saved in this checkpoint directory (only --epochs may change).", valueName: "dir"))
    var resume: String?

    @Option(help: ArgumentHelp("Loss log CSV (default: loss.csv in the checkpoint directory).", valueName: "file"))
    var log: String?

    @Option(help: ArgumentHelp("""
        A recipe file: task, data and train's flags without their dashes, one `key: value` a line, \
        as the config.yaml every run writes in its directory. Flags on the command line win.
        """, valueName: "file"))
    var config: String?

    @OptionGroup(title: "Recipe") var recipe: RecipeOptions

    @Option(help: "Threads to train on (default: one per CPU, and one alone while that is faster: when another program keeps a core busy).")
    var threads: Int?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if resume == nil, data == nil, recipe.questions == nil, config == nil {
            throw ValidationError("give the training data: a file or directory, or --questions and --answers")
        }
        if data != nil, recipe.questions != nil { throw ValidationError("give DATA or --questions/--answers, not both") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        ThreadPolicy.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        MemoryPolicy.unmapLargeBlocksWhenFreed()
        if let resume {
            // A resumed run keeps its data and recipe: only --epochs may move.
            let given = (data != nil ? ["DATA"] : []) + (task != nil ? ["--task"] : []) + (out != nil ? ["--out"] : [])
                + (config != nil ? ["--config"] : [])
                + recipe.given.filter { $0 != .epochs }.map(\.flag)
            if let flag = given.first {
                throw UsageFailure("\(flag) cannot change when resuming: a resumed run keeps its data and settings (only --epochs may grow)")
            }
            let directory = CheckpointDirectory(URL(fileURLWithPath: resume))
            guard directory.holdsRun else { throw CommandFailure("\(directory.url.path): no training run to resume here (no training.safetensors)") }
            let checkpoint = try CheckpointFile.readSummary(directory.model)
            guard var saved = Recipe(json: checkpoint.training["recipe"]) else {
                throw CommandFailure("\(directory.model.path): no record of the recipe this run trained with")
            }
            if let epochs = recipe.epochs { saved.epochs = epochs }
            try train(checkpoint.task.definition, recipe: saved, directory: directory, resuming: true)
        } else {
            let file = try config.map(RecipeConfigFile.read)
            let task = self.task ?? file?.task ?? .default
            let definition = task.definition
            if let refused = recipe.given.first(where: { !definition.keys.contains($0) }) {
                throw UsageFailure("\(refused.flag) applies to --task \(refused.taskNames) only")
            }
            var recipe = definition.defaults
            recipe.data.data = data ?? file?.data
            try file?.apply(to: &recipe)
            try self.recipe.apply(to: &recipe)
            guard recipe.data.isGiven else {
                throw UsageFailure("give the training data: a file or directory, or --questions and --answers")
            }
            let name = recipe.data.name + (task == .default ? "" : "-\(task.rawValue)")
            let directory = CheckpointDirectory(URL(fileURLWithPath: out ?? "checkpoints/\(name)"))
            if directory.holdsRun {
                throw CommandFailure("\(directory.url.path) already holds a training run; continue it with --resume \(directory.url.path), or choose another --out")
            }
            try train(definition, recipe: recipe, directory: directory, resuming: false)
        }
    }

    /// The one training path of every task: the data, the model (new, or the run's own when
    /// resuming), the loop of epochs with its log, progress and checkpoints, and what the task
    /// does at the end.
    private func train<T: TaskDefinition>(_ task: T.Type, recipe: Recipe, directory: CheckpointDirectory, resuming: Bool) throws {
        var recipe = recipe
        // DATA `-`: standard input, kept in the run's directory so that --resume reads it again.
        let standardInput = recipe.data.data == "-" ? try StandardInputCopy(name: T.standardInputName) : nil
        if let standardInput { recipe.data.data = standardInput.url.path }
        var progressBar = ProgressBar(quiet: quiet)
        let warn = { (text: String) in progressBar.message("warning: " + text) }
        // A new run reads its data first: bad data creates nothing.
        let newData = resuming ? nil : try T.prepare(recipe, resumed: nil, cache: nil, fitBatchSize: self.recipe.batchSize == nil, warn: warn)
        try directory.create()
        let lock = try DirectoryLock(directory: directory.url)
        defer { withExtendedLifetime(lock) {} }
        directory.removeUnfinishedWrites()

        var data: TaskData<T.Model>, trainer: Trainer<T.Model>
        if let newData {
            let model = T.makeModel(config: newData.recipe.config(vocabSize: newData.vocabulary.count), labels: newData.labels.count, parameters: nil)
            model.parameters.initialize(seed: recipe.seed, hiddenSize: recipe.hidden)
            (data, trainer) = (newData, Trainer(model: model, settings: newData.recipe.settings))
        } else {
            // The run's own model, vocabulary and tokenizer, read while holding the lock.
            let resumed = try directory.resume(settings: { $0.epochs = recipe.epochs }) { checkpoint in
                T.makeModel(config: checkpoint.config, labels: checkpoint.labels.count, parameters: checkpoint.parameters)
            }
            (data, trainer) = (try T.prepare(recipe, resumed: resumed.checkpoint, cache: directory.pairsCache, fitBatchSize: false, warn: warn),
                               resumed.trainer)
            if let saved = resumed.run["datafingerprint"], saved != data.fingerprint {
                warn("the data changed since this run started; continuing on the data as it is now")
            }
        }
        if let standardInput { data.recipe.data.data = try standardInput.keep(in: directory.url).path }
        try data.writeCache(directory.pairsCache)
        try Data(data.recipe.configFile(keys: T.keys).utf8).write(to: directory.url.appendingPathComponent("config.yaml"), options: .atomic)
        let runInfo = ["recipe": data.recipe.json, "datafingerprint": data.fingerprint]
        let logWriter = try LossLogWriter(appendingTo: log.map { URL(fileURLWithPath: $0) } ?? directory.log,
                                          keepingStepsThrough: trainer.progress.step, adding: data.logColumns)
        let config = trainer.model.config
        progressBar.message("""
            training \(T.description) on \(data.summary), vocabulary \(data.vocabulary.count), \
            \(config.layers)×\(config.hiddenSize) LSTM\(config.attention ? " with attention" : "")\(config.softmaxSummary), \(trainer.model.parameters.values.count) parameters\
            \(resuming ? ", resuming at epoch \(trainer.progress.epoch + 1) step \(trainer.progress.step)" : "")
            """)

        trainer.threadTuner = threads == nil && ThreadPolicy.threads > 1 ? ThreadTuner() : nil
        let trainingRun = TrainingRun(
            trainer: trainer,
            batches: data.batches,
            validate: { data.validate(trainer.model) },
            measure: { data.measure(trainer.model) },
            log: { row in
                var row = row
                // The loss is in nats: bits are nats / ln 2, and the perplexity e^loss.
                if let loss = row.validationLoss {
                    if data.logColumns.contains(.validationBitsPerCharacter) { row.validationBitsPerCharacter = loss / Float(M_LN2) }
                    if data.logColumns.contains(.validationPerplexity) { row.validationPerplexity = exp(loss) }
                }
                try logWriter.append(row)
            },
            save: { isBest in
                try directory.save(trainer: trainer, checkpoint: data.checkpoint(of: trainer.model, task: T.task), run: runInfo, isBest: isBest)
            })

        Interrupt.install()
        let epochs = trainer.settings.epochs
        let outcome = try trainingRun.run(
            targetExactMatch: recipe.untilAccuracy,
            shouldStop: { Interrupt.requested },
            onStep: { r in
                progressBar.update(epoch: r.epoch, epochs: epochs, step: r.stepInEpoch, steps: r.stepsInEpoch,
                                   loss: r.result.loss, tokensPerSecond: r.tokensPerSecond, remainingSeconds: r.remainingSeconds)
            },
            onEpoch: { epoch, validation, exactMatch in
                let lines = data.describe(validation, exactMatch)
                let figures = lines.first.map { $0.isEmpty ? "" : ": " + $0 } ?? ""
                progressBar.message("epoch \(epoch)/\(epochs) done" + figures)
                for line in lines.dropFirst() { progressBar.message(line) }
            })
        switch outcome {
        case .finished:
            if let target = recipe.untilAccuracy {
                progressBar.message(String(format: "did not reach %.1f%% exact match in %d epochs", 100 * target, epochs))
            }
        case let .reachedTarget(epoch, exactMatch):
            progressBar.message(String(format: "reached %.1f%% exact match (asked: %.1f%%) after epoch %d, %.1f s of training",
                                       100 * exactMatch, 100 * recipe.untilAccuracy!, epoch, trainer.progress.elapsedSeconds))
        case .interrupted:
            FileHandle.standardError.write(Data("saved at step \(trainer.progress.step); continue with: lstmchat train --resume \(directory.url.path)\n".utf8))
            throw ExitCode(Interrupt.exitStatus)
        }
        for line in try data.finish(trainer.model, directory) { progressBar.message(line) }
        progressBar.message("saved \(directory.model.path); " + data.nextStep(directory))
    }
}

/// DATA read from standard input: a temporary file until the run's directory holds it.
struct StandardInputCopy {
    let url: URL

    init(name: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lstmchat-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        url = folder.appendingPathComponent(name)
        try FileHandle.standardInput.readDataToEndOfFile().write(to: url)
    }

    /// Moves it into `directory`, where a resumed run finds it.
    func keep(in directory: URL) throws -> URL {
        let kept = directory.appendingPathComponent(url.lastPathComponent)
        try? FileManager.default.removeItem(at: kept)
        try FileManager.default.moveItem(at: url, to: kept)
        try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
        return kept
    }
}
