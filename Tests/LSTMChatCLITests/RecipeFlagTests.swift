import Foundation
import LSTMChat
import Testing
@testable import LSTMChatCLI

/// `train`'s recipe flags: each is honoured by the tasks that take it and refused (status 64,
/// one line) by the others; `--help` shows the defaults each task trains with; the PyTorch
/// trainer reads the same defaults.
@Suite struct RecipeFlagTests {
    /// A valid value for each key's flag, as a user would type it.
    static func arguments(_ key: Recipe.Key) -> [String] {
        switch key {
        case .questions, .answers: ["--questions", "q.txt", "--answers", "a.txt"]
        case .attention: ["--no-attention"]
        case .softmax: ["--softmax", "adaptive"]
        case .cutoffs: ["--cutoffs", "20,50"]
        case .format: ["--format", "tsv"]
        case .tokenizer: ["--tokenizer", "word"]
        case .unrelated, .keywords: [key.flag, "file.txt"]
        case .maxVocab: [key.flag, "100"]
        case .lr, .lrDecay, .lrFloor, .dropout, .wordDropout, .valFraction, .untilAccuracy: [key.flag, "0.5"]
        default: [key.flag, "3"]
        }
    }

    /// Every flag of the recipe, for every task: refused with status 64 and one line naming the
    /// flag and the tasks that take it, or taken (the run then stops at the missing data file).
    @Test(arguments: ModelTask.allCases)
    func everyFlagIsHonouredOrRefused(task: ModelTask) throws {
        let dir = try TemporaryDirectory()
        // --answers goes with --questions, which names them both.
        for key in Recipe.Key.allCases where key != .answers {
            let data = key == .questions || key == .answers ? [] : [dir.url.appendingPathComponent("missing").path]
            let result = try LSTMChatBinary.run(["train", "--task", task.rawValue] + data + Self.arguments(key) + ["--quiet"], in: dir.url)
            if task.definition.keys.contains(key) {
                #expect(result.status == 1, "\(key.flag) for \(task): \(result.stderr)")
                #expect(!result.stderr.contains("applies to"), "\(key.flag) for \(task): \(result.stderr)")
            } else {
                let takers = ModelTask.allCases.filter { $0.definition.keys.contains(key) }.map(\.rawValue)
                #expect(result.status == 64, "\(key.flag) for \(task): \(result.stderr)")
                #expect(result.stderr == "lstmchat: \(key.flag) applies to --task \(takers.joined(separator: " and ")) only\n")
            }
        }
    }

    @Test func theIssuesExampleIsRefused() throws {
        let result = try LSTMChatBinary.run(["train", "--task", "lm", "--attention", "datasets/kjv"])
        #expect(result.status == 64)
        #expect(result.stderr == "lstmchat: --attention applies to --task seq2seq only\n")
    }

    /// `train --help` gives, for each flag, each task's default as the task defines it.
    @Test(arguments: Recipe.Key.allCases)
    func helpShowsEachTasksDefault(key: Recipe.Key) throws {
        let help = try LSTMChatBinary.run(["train", "--help"]).stdout
            .replacingOccurrences(of: "\n", with: " ").split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let takers = ModelTask.allCases.filter { $0.definition.keys.contains(key) }
        #expect(!takers.isEmpty)
        let shown = RecipeHelp.defaults(key)
        for task in takers {
            let value = task.definition.defaults.text(of: key) ?? "none"
            #expect(shown == value || shown.hasPrefix(value + ";") || shown.contains("\(task.rawValue): \(value)"), "\(key) \(task): \(shown)")
        }
        if ![.questions, .answers, .format, .unrelated, .keywords, .untilAccuracy].contains(key) {
            #expect(help.contains("(default: \(shown))"), "\(key.flag): (default: \(shown)) not in the help")
        }
    }

    /// A run started with no recipe flags trains with its task's defaults: the recipe stored in
    /// the checkpoint is the task's, but for the data, and the batch size fitted to the data.
    @Test(arguments: ModelTask.allCases)
    func aRunWithoutFlagsTrainsWithTheDefaults(task: ModelTask) throws {
        let dir = try TemporaryDirectory()
        let text: String = switch task {
        case .seq2seq: (0..<40).map { "question \($0)\tanswer \($0)\n" }.joined()
        case .languageModel: String(repeating: "the cat sat on the mat. ", count: 80)
        case .classifier: (0..<40).map { "text number \($0)\t\($0 % 2 == 0 ? "even" : "odd")\n" }.joined()
        }
        let data = dir.url.appendingPathComponent(task == .languageModel ? "text.txt" : "data.tsv")
        try Data(text.utf8).write(to: data)
        let out = dir.url.appendingPathComponent("run").path
        // Two layers of 256 for 20 epochs is the language model's default: --epochs alone is cut.
        let result = try LSTMChatBinary.run(["train", "--task", task.rawValue, data.path, "--out", out, "--epochs", "1", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let file = try CheckpointFile.read(URL(fileURLWithPath: out + "/model.safetensors"))
        var trained = try #require(Recipe(json: file.training["recipe"]))
        var expected = task.definition.defaults
        expected.data.data = data.path
        expected.epochs = 1
        #expect(trained.batchSize <= expected.batchSize && trained.batchSize >= 1)
        trained.batchSize = expected.batchSize
        #expect(trained == expected)
        #expect(file.config.hiddenSize == expected.hidden && file.config.layers == expected.layers && file.config.embedSize == expected.embed)
    }

    /// pytorch/lstmchat_torch/defaults.json holds the same defaults, under the flags' names.
    @Test(arguments: ModelTask.allCases)
    func thePyTorchTrainerReadsTheSameDefaults(task: ModelTask) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("pytorch/lstmchat_torch/defaults.json"))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let python = try #require(all[task.rawValue])
        let definition = task.definition
        let runOnly: Set<Recipe.Key> = [.questions, .answers, .format, .untilAccuracy, .exactMatchSample, .unrelated, .keywords]
        for key in definition.keys.subtracting(runOnly) {
            let name = key.rawValue.replacingOccurrences(of: "-", with: "_")
            let value = try #require(python[name], "\(task): \(name) missing from defaults.json")
            let swift = definition.defaults.text(of: key)!
            switch value {
            case let flag as Bool where key == .attention: #expect((flag ? "on" : "off") == swift, "\(task) \(name)")
            case let number as NSNumber: #expect(abs(number.doubleValue - Double(swift)!) < 1e-9, "\(task) \(name): \(number) vs \(swift)")
            case let text as String: #expect(text == swift, "\(task) \(name)")
            default: Issue.record("\(task) \(name): \(value)")
            }
        }
        #expect(Set(python.keys) == Set(definition.keys.subtracting(runOnly).map { $0.rawValue.replacingOccurrences(of: "-", with: "_") }))
    }
}

/// `train --config FILE` and the config.yaml every run writes.
@Suite struct RecipeConfigTests {
    static let pairs = "hi\thello\nbye\tsee you\nhow are you\tfine\n"

    /// A run's config.yaml, given back with --config, trains the same model bit for bit.
    @Test func aRunsConfigRepeatsIt() throws {
        let dir = try TemporaryDirectory()
        let data = dir.url.appendingPathComponent("data.tsv")
        try Data(Self.pairs.utf8).write(to: data)
        let first = dir.url.appendingPathComponent("first").path, second = dir.url.appendingPathComponent("second").path
        #expect(try LSTMChatBinary.run(["train", data.path, "--out", first, "--epochs", "2", "--hidden", "16", "--quiet", "--threads", "1"]).status == 0)
        let again = try LSTMChatBinary.run(["train", "--config", first + "/config.yaml", "--out", second, "--quiet", "--threads", "1"])
        #expect(again.status == 0, "\(again.stderr)")
        let a = try CheckpointFile.read(URL(fileURLWithPath: first + "/model.safetensors"))
        let b = try CheckpointFile.read(URL(fileURLWithPath: second + "/model.safetensors"))
        #expect(a.parameters.values.array.map(\.bitPattern) == b.parameters.values.array.map(\.bitPattern))
        #expect(try String(contentsOfFile: first + "/config.yaml", encoding: .utf8) == String(contentsOfFile: second + "/config.yaml", encoding: .utf8))
    }

    /// Flags on the command line win over the file.
    @Test func flagsWinOverTheFile() throws {
        let dir = try TemporaryDirectory()
        let data = dir.url.appendingPathComponent("data.tsv")
        try Data(Self.pairs.utf8).write(to: data)
        let config = dir.url.appendingPathComponent("run.yaml")
        try Data("data: \(data.path)\nhidden: 12\nepochs: 1\n".utf8).write(to: config)
        let out = dir.url.appendingPathComponent("run").path
        #expect(try LSTMChatBinary.run(["train", "--config", config.path, "--hidden", "8", "--out", out, "--quiet"]).status == 0)
        #expect(try CheckpointFile.read(URL(fileURLWithPath: out + "/model.safetensors")).config.hiddenSize == 8)
    }

    @Test(arguments: [
        ("lrr: 1\n", "run.yaml:1: unknown key \"lrr\" (the keys are task, data and train's flags without their dashes)"),
        ("hidden: 8\nlr: fast\n", "run.yaml:2: lr must be in (0, ∞)"),
        ("task: lm\nattention: on\n", "run.yaml:2: attention applies to task seq2seq only"),
        ("task: tagger\n", "run.yaml:1: task: must be seq2seq, lm, classify, not \"tagger\""),
        ("- a\n- b\n", "run.yaml:1: not a mapping of keys to values"),
    ])
    func badConfigFilesAreRefusedByLine(text: String, message: String) throws {
        let dir = try TemporaryDirectory()
        let config = dir.url.appendingPathComponent("run.yaml")
        try Data(text.utf8).write(to: config)
        let result = try LSTMChatBinary.run(["train", "--config", "run.yaml", "data.tsv"], in: dir.url)
        #expect(result.status == 1)
        #expect(result.stderr == "lstmchat: \(message)\n")
    }

    /// `-` reads DATA from standard input and keeps it in the run's directory, for --resume.
    @Test func dataFromStandardInputIsKeptForResume() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", "-", "--out", out, "--epochs", "1", "--quiet"], stdin: Self.pairs)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try String(contentsOfFile: out + "/data.tsv", encoding: .utf8) == Self.pairs)
        let resume = try LSTMChatBinary.run(["train", "--resume", out, "--epochs", "2", "--quiet"])
        #expect(resume.status == 0, "\(resume.stderr)")
    }
}

/// `ask`, `chat` and `eval` refuse, in one line with status 64, the options a model cannot use.
@Suite struct UseOptionRefusalTests {
    @Test(arguments: [
        (["ask", "--top", "3", "hello"], "--top does not apply to a question-answering model (checkpoints/default/model.safetensors)"),
        (["ask", "--checkpoint", "kjv-lm", "--n-best", "2", "And"], "--n-best does not apply to a language model (checkpoints/kjv-lm/model.safetensors)"),
        (["chat", "--checkpoint", "kjv-lm", "--min-confidence", "0.5"],
         "--min-confidence, --fallback do not apply to a language model (checkpoints/kjv-lm/model.safetensors)"),
        (["eval", "--checkpoint", "kjv-lm", "--keywords", "datasets/chatterbot-english-reworded.tsv", "datasets/kjv"],
         "--keywords does not apply to a language model (checkpoints/kjv-lm/model.safetensors)"),
    ])
    func optionsAModelCannotUseAreRefused(arguments: [String], message: String) throws {
        let result = try LSTMChatBinary.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr == "lstmchat: \(message)\n")
    }
}
