import Foundation
import LSTMChat

/// What `chat`, `ask` and `eval` do with a language model or a classifier; each returns false
/// for a question-answering model, which the command then serves as it always has.
enum TaskCommands {
    /// The bundled language model, relative to the package's root.
    static let defaultLanguageModel = "checkpoints/kjv-lm/model.safetensors"

    static func languageModel(_ path: String) throws -> TextModel {
        let file = TaskModels.file(path)
        guard FileManager.default.fileExists(atPath: file) else {
            throw CommandFailure("no checkpoint at \(file); train one with `lstmchat train --task lm`, or pass --checkpoint")
        }
        switch try TaskModels.load(path) {
        case .languageModel(let model): return model
        case .classifier: throw CommandFailure(TaskModels.wrongTask(file, .classifier, wanted: .languageModel))
        case .seq2seq:
            // Either a question-answering model or a file that is not a checkpoint: the full read says which.
            _ = try ChatModel.load(path: path)
            throw CommandFailure(TaskModels.wrongTask(file, .seq2seq, wanted: .languageModel))
        }
    }

    // MARK: - chat

    static func chat(checkpoint: String, decoding: DecodingOptions, historyFile: String) throws -> Bool {
        let respond: (String) -> Void
        let summary: String
        switch try TaskModels.load(checkpoint) {
        case .seq2seq: return false
        case .languageModel(let model):
            let loop = TextChatLoop(model: model, settings: textSettings(decoding))
            if isatty(STDIN_FILENO) == 1 {
                print("lstmchat: \(checkpoint) (a language model: each line is continued); type /help for commands")
                let history = (historyFile as NSString).expandingTildeInPath
                let editor = LineEditor(historyFile: history.isEmpty ? nil : history, completions: TextChatLoop.commands.map(\.name))
                while let line = editor.readLine(prompt: "> ") {
                    if line.allSatisfy(\.isWhitespace) { continue }
                    if !loop.handle(line) { break }
                }
            } else {
                setvbuf(stdout, nil, _IONBF, 0)  // each token as soon as it is drawn
                while let line = readLine(strippingNewline: true) {
                    if line.allSatisfy(\.isWhitespace) { print(); continue }
                    if !loop.handle(line) { break }
                }
            }
            return true
        case .classifier(let model):
            summary = "a text classifier of \(model.labels.count) labels: each line gets the most likely"
            respond = { line in print(labelLine(model.classify([line])[0][0])) }
        }
        if isatty(STDIN_FILENO) == 1 {
            print("lstmchat: \(checkpoint) (\(summary)); Ctrl-D leaves")
            let history = (historyFile as NSString).expandingTildeInPath
            let editor = LineEditor(historyFile: history.isEmpty ? nil : history, completions: [])
            while let line = editor.readLine(prompt: "> ") {
                if line.allSatisfy(\.isWhitespace) { continue }
                if line.trimmingCharacters(in: .whitespaces) == "/quit" { break }
                respond(line)
            }
        } else {
            setvbuf(stdout, nil, _IOLBF, 0)
            while let line = readLine(strippingNewline: true) {
                if line.allSatisfy(\.isWhitespace) { print(); continue }
                respond(line)
            }
        }
        return true
    }

    // MARK: - ask

    static func ask(checkpoint: String, question: String?, top: Int, json: Bool, decoding: DecodingOptions) throws -> Bool {
        let answer: (String) -> Void
        switch try TaskModels.load(checkpoint) {
        case .seq2seq: return false
        case .languageModel(let model):
            let settings = textSettings(decoding)
            answer = { text in
                var written = ""
                model.continueText(text, length: settings.maxLength, settings: settings, stopAtLineEnd: true) { written += $0 }
                if json {
                    print(jsonLine(["prompt": text, "continuation": written, "seed": settings.seed.map { Int($0) } as Any]))
                } else {
                    print(text + written)
                }
            }
        case .classifier(let model):
            answer = { text in
                let ranked = model.classify([text])[0].prefix(top)
                if json {
                    print(jsonLine(["text": text, "labels": ranked.map { ["label": $0.label, "probability": Double($0.probability)] }]))
                } else {
                    for entry in ranked { print(labelLine(entry)) }
                }
            }
        }
        setvbuf(stdout, nil, _IOLBF, 0)
        if let question { answer(question) } else { while let line = readLine(strippingNewline: true) { answer(line) } }
        return true
    }

    /// A language model samples (the most likely character every time soon loops on "the the");
    /// --beam asks for the most likely tokens instead.
    static func textSettings(_ decoding: DecodingOptions) -> DecodingSettings {
        var settings = decoding.settings
        settings.strategy = decoding.beam != nil ? .greedy : .sample
        return settings
    }

    /// "greetings 0.873": the label, then its probability.
    static func labelLine(_ entry: (label: String, probability: Float)) -> String {
        "\(entry.label)\t\(String(format: "%.3f", entry.probability))"
    }

    static func jsonLine(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - eval

    static func eval(checkpoint: String, data: String?, json: Bool) throws -> Bool {
        switch try TaskModels.load(checkpoint) {
        case .seq2seq: return false
        case .languageModel(let model):
            guard let data else { throw CommandFailure("give the text to score: a file or a directory of .txt files") }
            let tokens = PlainTextReader.tokens(try PlainTextReader.read(data), tokenizer: model.tokenizer)
            let ids = model.vocabulary.encode(tokens)
            guard let windows = TextWindows(ids: ids, batchSize: 1, steps: 200) else {
                throw CommandFailure("\(data): too short to score (fewer than two tokens)")
            }
            let score = LanguageModelScore(model.network, windows)
            let unknown = ids.filter { $0 == Vocabulary.unknown }.count
            let unit = model.tokenizer.kind == .char ? "character" : "word"
            if json {
                print(jsonLine(["loss": Double(score.loss), "bits_per_\(unit == "character" ? "char" : "word")": score.bits,
                                "perplexity": Double(exp(score.loss)), "accuracy": score.accuracy, "tokens": score.tokens,
                                "unknown_tokens": unknown]))
            } else {
                print(String(format: "loss %.4f  %.3f bits per %@  perplexity %.2f  next-%@ accuracy %.1f%%  (%d tokens, %d unknown)",
                             score.loss, score.bits, unit, exp(score.loss), unit, 100 * score.accuracy, score.tokens, unknown))
            }
        case .classifier(let model):
            guard let data else { throw CommandFailure("give the labelled texts: a text<TAB>label file, a ChatterBot corpus, or a directory") }
            let texts = try LabelledTextReader.read(data)
            let ids = Dictionary(uniqueKeysWithValues: model.labels.enumerated().map { ($1, $0) })
            if let unknown = texts.first(where: { ids[$0.label] == nil }) {
                throw DataError(file: unknown.file, line: unknown.line, "label \"\(unknown.label)\" is not one the model knows (\(model.labels.joined(separator: ", ")))")
            }
            let predicted = model.classify(texts.map(\.text)).map { ids[$0[0].label]! }
            let report = ClassificationReport(labels: model.labels, truth: texts.map { ids[$0.label]! }, predicted: predicted)
            print(json ? reportJSON(report) : reportText(report))
        }
        return true
    }

    static func reportText(_ r: ClassificationReport) -> String {
        var lines = [String(format: "accuracy %.1f%% of %d texts (always saying the most frequent label: %.1f%%)",
                            100 * r.accuracy, r.total, 100 * r.majorityBaseline), ""]
        let width = max(5, r.labels.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func left(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        lines.append(pad("label", width) + "  precision  recall     F1  texts")
        for (k, label) in r.labels.enumerated() {
            let f = r.figures(k)
            lines.append(pad(label, width) + String(format: "  %9.3f  %6.3f  %5.3f  %5d", f.precision, f.recall, f.f1, f.support))
        }
        lines += ["", "confusion matrix (rows: true label, columns: predicted, in the order above)"]
        let cell = max(3, String(r.confusion.flatMap { $0 }.max() ?? 0).count)
        for (k, label) in r.labels.enumerated() {
            lines.append(pad(label, width) + " " + r.confusion[k].map { left(String($0), cell) }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    static func reportJSON(_ r: ClassificationReport) -> String {
        let labels = r.labels.enumerated().map { k, label -> [String: Any] in
            let f = r.figures(k)
            return ["label": label, "precision": f.precision, "recall": f.recall, "f1": f.f1, "support": f.support]
        }
        return jsonLine(["accuracy": r.accuracy, "texts": r.total, "majority_baseline": r.majorityBaseline,
                         "labels": labels, "confusion": r.confusion])
    }
}

/// A language model's mean loss, bits per token and next-token accuracy over a text.
struct LanguageModelScore {
    var loss: Float, bits: Double, accuracy: Double, tokens: Int

    init(_ network: LanguageModel, _ windows: TextWindows) {
        var lossSum: Double = 0, correct = 0, count = 0
        network.resetState()
        for k in 0..<windows.batchCount {
            let batch = windows.batch(k)
            let s = network.score(batch)
            lossSum += s.lossSum; correct += s.correct; count += batch.tokenCount
        }
        network.resetState()
        loss = Float(lossSum / Double(max(count, 1)))
        bits = Double(loss) / log(2)
        accuracy = Double(correct) / Double(max(count, 1))
        tokens = count
    }
}

/// What chat does with each line typed to a language model: continue it, streaming the text
/// as it is sampled, or carry out a slash command that changes the sampling.
final class TextChatLoop {
    let model: TextModel
    private var generator: TextGenerator

    /// The chat commands that mean something to a language model; /length is its name for /maxlen.
    static let commands: [(name: String, argument: String, meaning: String)] = [
        ("/help", "", "show this list"),
        ("/quit", "", "leave (so does Ctrl-D)"),
        ("/greedy", "", "write the most likely token every time"),
        ("/sample", "", "sample each token at random (the default)"),
        ("/temp", "X", "sampling temperature, > 0: below 1 keeps closer to the text (turns sampling on)"),
        ("/topk", "K", "sample among the K most likely tokens, 0 for all (turns sampling on)"),
        ("/topp", "P", "sample among the likeliest tokens with total probability P (turns sampling on)"),
        ("/length", "N", "the most tokens a continuation may have (it also stops at the line's end)"),
        ("/seed", "N", "restart sampling from seed N"),
        ("/settings", "", "show the sampling settings"),
    ]

    init(model: TextModel, settings: DecodingSettings) {
        self.model = model
        generator = model.generator(settings)
    }

    var settings: DecodingSettings { generator.settings }

    static var helpText: String {
        let width = commands.map { $0.name.count + ($0.argument.isEmpty ? 0 : $0.argument.count + 1) }.max()!
        return commands.map { command in
            let usage = command.argument.isEmpty ? command.name : "\(command.name) \(command.argument)"
            return "  " + usage.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.meaning
        }.joined(separator: "\n")
    }

    /// Continues or obeys one line; false when it asks to quit.
    func handle(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("/") else {
            print(line, terminator: "")
            model.continueText(line, length: settings.maxLength, generator: generator, stopAtLineEnd: true) { print($0, terminator: "") }
            print()
            return true
        }
        // /length is /maxlen under the name `generate` gives it.
        let name = trimmed.prefix { !$0.isWhitespace }
        let command = name == "/length" ? "/maxlen" + trimmed.dropFirst(name.count) : trimmed
        switch SlashCommand.parse(command) {
        case .failure(let error):
            Terminal.standardError(error.description.replacingOccurrences(of: "/maxlen:", with: "\(name):"))
        case .success(.quit):
            return false
        case .success(.help):
            print(Self.helpText)
        case .success(.settings):
            print(settings.summary.replacingOccurrences(of: "max length", with: "length"))
        case .success(let command):
            var changed = settings
            guard (Self.commands.map(\.name) + ["/temperature", "/maxlen"]).contains(String(name)), command.apply(to: &changed) else {
                Terminal.standardError("\(name): not for a language model; type /help for the list")
                return true
            }
            // A new seed starts sampling afresh; other settings go on from where sampling was.
            if case .seed = command { generator = model.generator(changed) } else { generator.settings = changed }
            print(changed.summary.replacingOccurrences(of: "max length", with: "length"))
        }
        return true
    }
}
