import Foundation

/// The text generator: a text read in windows with the LSTM state carried from one to the next
/// (truncated backpropagation through time), its last share held out; a `LanguageModel`
/// scored by its held-out loss, loaded as a `TextModel` that continues text.
public enum LanguageModelTask: TaskDefinition {
    public typealias Model = LanguageModel

    public static let identity = TaskIdentity(task: .languageModel, description: "a language model", format: "lstmchat-lm/1",
                                              uses: "generate writes with it; chat, ask and eval take it too")
    public static var standardInputName: String { "data.txt" }

    /// char-rnn's recipe, smaller: characters, a 2-layer LSTM, windows of 100.
    public static var defaults: Recipe {
        Recipe(task: .languageModel, data: DataSource(), tokenizer: .char, embed: 32, hidden: 256, layers: 2, attention: false,
               epochs: 20, lr: 0.002, lrDecay: 0.95, dropout: 0, seqLength: 100, valFraction: 0.1)
    }

    public static var keys: Set<Recipe.Key> { Recipe.Key.modelAndSolver.union([.seqLength]) }

    public static func loaded(_ network: LanguageModel, from checkpoint: CheckpointFile, vocabulary: Vocabulary,
                              tokenizer: Tokenizer, file: String) -> any LoadedModel {
        TextModel(network: network, vocabulary: vocabulary, tokenizer: tokenizer, path: file)
    }

    public static func prepare(_ recipe: Recipe, resumed: CheckpointFile?, cache: URL?, fitBatchSize: Bool,
                               warn: (String) -> Void) throws -> TaskData<LanguageModel> {
        var recipe = recipe
        let path = recipe.data.data ?? "-"
        let lines = try PlainTextReader.read(path)
        // A resumed run keeps its vocabulary and tokenizer; a new one reads the text as written
        // (case, spacing), as char-rnn does.
        let trained = try resumed?.vocabularyAndTokenizer(file: "the run's model")
        let tokenizer = trained?.1 ?? Tokenizer(kind: recipe.tokenizer, keepsText: true)
        let tokens = PlainTextReader.tokens(lines, tokenizer: tokenizer)
        let heldOut = recipe.valFraction > 0 ? Int(Double(tokens.count) * recipe.valFraction) : 0
        let trainTokens = Array(tokens[..<(tokens.count - heldOut)]), validationTokens = Array(tokens[(tokens.count - heldOut)...])
        let vocabulary = trained?.0
            ?? Vocabulary(counting: [trainTokens], minCount: recipe.minCount, maxSize: recipe.maxVocab)
        if fitBatchSize {
            recipe.batchSize = Recipe.fittedBatchSize(recipe.batchSize, rows: trainTokens.count / max(recipe.seqLength, 1))
        }
        guard let windows = TextWindows(ids: vocabulary.encode(trainTokens), batchSize: recipe.batchSize, steps: recipe.seqLength) else {
            throw DataError(file: path, "too short to train on: \(trainTokens.count) tokens for \(recipe.batchSize) rows (--batch-size)")
        }
        let validationWindows = TextWindows(ids: vocabulary.encode(validationTokens),
                                            batchSize: max(1, min(recipe.batchSize, heldOut / (2 * recipe.seqLength))), steps: recipe.seqLength)
        let unit = tokenizer.kind == .char ? "character" : "word"
        let batches = windows.batches
        var data = TaskData<LanguageModel>(
            recipe: recipe, vocabulary: vocabulary, tokenizer: tokenizer,
            summary: "\(trainTokens.count) tokens (\(heldOut) held out) in windows of \(recipe.seqLength)",
            fingerprint: dataFingerprint(lines),
            batches: { _ in EpochBatches(batches) },
            describe: { v, _ in
                guard let v else { return [] }
                // Characters are measured in bits, words by perplexity: the figures each is quoted in.
                let figure = tokenizer.kind == .char ? String(format: "%.3f bits per character", Double(v.loss) / log(2))
                                                     : String(format: "perplexity %.2f", Double(v.perplexity))
                return [String(format: "validation loss %.3f, %@, next-%@ accuracy %.1f%%", v.loss, figure, unit, 100 * v.accuracy)]
            },
            nextStep: { "write with it: lstmchat generate --checkpoint \($0.url.path)" })
        data.validate = { model in
            guard let validationWindows else { return nil }
            let score = LanguageModelScore(model, validationWindows)
            return .init(loss: score.loss, accuracy: Float(score.accuracy))
        }
        data.logColumns = [tokenizer.kind == .char ? .validationBitsPerCharacter : .validationPerplexity]
        return data
    }
}

/// A language model's mean loss, bits per token and next-token accuracy over a text.
public struct LanguageModelScore {
    public var loss: Float, bits: Double, accuracy: Double, tokens: Int

    public init(_ network: LanguageModel, _ windows: TextWindows) {
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

extension TextModel: LoadedModel {
    public static var task: ModelTask { .languageModel }
    public static var options: Set<UseOption> { [.decoding] }

    public var summary: String { "a language model: \(network.config.summary)" }

    /// A language model samples (the most likely character every time soon loops on "the the");
    /// --beam asks for the most likely tokens instead.
    public static func settings(_ options: UseOptions) -> DecodingSettings {
        var settings = options.decoding
        settings.strategy = settings.strategy == .beam ? .greedy : .sample
        return settings
    }

    public func ask(_ text: String, _ options: UseOptions) -> AskReply {
        let settings = Self.settings(options)
        var written = ""
        continueText(text, length: settings.maxLength, settings: settings, stopAtLineEnd: true) { written += $0 }
        return AskReply(lines: [text + written], json: Self.askJSON(prompt: text, continuation: written, settings: settings))
    }

    /// What `ask --json` prints for a continuation.
    static func askJSON(prompt: String, continuation: String, settings: DecodingSettings) -> String {
        jsonLine(["prompt": prompt, "continuation": continuation, "seed": settings.seed.map { Int($0) } as Any])
    }

    public func conversation(_ options: UseOptions) -> any Conversation {
        TextConversation(model: self, settings: Self.settings(options))
    }

    /// `eval`: the loss, bits, perplexity and next-token accuracy of the text in `request.data`.
    public func evaluate(_ request: EvaluationRequest) throws -> EvaluationReport {
        try request.refuseQuestionAnsweringOptions(for: self)
        guard let data = request.data.data else { throw CommandFailure("give the text to score: a file or a directory of .txt files") }
        let ids = vocabulary.encode(PlainTextReader.tokens(try PlainTextReader.read(data), tokenizer: tokenizer))
        guard let windows = TextWindows(ids: ids, batchSize: 1, steps: 200) else {
            throw CommandFailure("\(data): too short to score (fewer than two tokens)")
        }
        let score = LanguageModelScore(network, windows)
        let unknown = ids.filter { $0 == Vocabulary.unknown }.count
        let unit = tokenizer.kind == .char ? "character" : "word"
        return EvaluationReport(
            lines: [String(format: "loss %.4f  %.3f bits per %@  perplexity %.2f  next-%@ accuracy %.1f%%  (%d tokens, %d unknown)",
                           score.loss, score.bits, unit, exp(score.loss), unit, 100 * score.accuracy, score.tokens, unknown)],
            json: ["loss": Double(score.loss), "bits_per_\(unit == "character" ? "char" : "word")": score.bits,
                   "perplexity": Double(exp(score.loss)), "accuracy": score.accuracy, "tokens": score.tokens, "unknown_tokens": unknown])
    }
}

/// `chat` with a language model: each line typed is continued, the text streamed as it is
/// sampled; slash commands change the sampling.
public final class TextConversation: Conversation {
    public let model: TextModel
    private var generator: TextGenerator

    /// The chat commands that mean something to a language model; /length is its name for /maxlen.
    public static let commands: [(name: String, argument: String, meaning: String)] = [
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

    public init(model: TextModel, settings: DecodingSettings) {
        self.model = model
        generator = model.generator(settings)
    }

    public var settings: DecodingSettings { generator.settings }
    public var greeting: String { "each line is continued; type /help for commands" }
    public var commandNames: [String] { Self.commands.map(\.name) }

    public static var helpText: String { SlashCommand.helpText(commands) }

    public func handle(_ line: String, output: (String) -> Void, note: (String) -> Void) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("/") else {
            output(line)
            model.continueText(line, length: settings.maxLength, generator: generator, stopAtLineEnd: true) { output($0) }
            output("\n")
            return true
        }
        // /length is /maxlen under the name `generate` gives it.
        let name = trimmed.prefix { !$0.isWhitespace }
        let command = name == "/length" ? "/maxlen" + trimmed.dropFirst(name.count) : trimmed
        switch SlashCommand.parse(command) {
        case .failure(let error):
            note(error.description.replacingOccurrences(of: "/maxlen:", with: "\(name):"))
        case .success(.quit):
            return false
        case .success(.help):
            output(Self.helpText + "\n")
        case .success(.settings):
            output(settings.summary.replacingOccurrences(of: "max length", with: "length") + "\n")
        case .success(let command):
            var changed = settings
            guard (commandNames + ["/temperature", "/maxlen"]).contains(String(name)), command.apply(to: &changed) else {
                note("\(name): not for a language model; type /help for the list")
                return true
            }
            // A new seed starts sampling afresh; other settings go on from where sampling was.
            if case .seed = command { generator = model.generator(changed) } else { generator.settings = changed }
            output(changed.summary.replacingOccurrences(of: "max length", with: "length") + "\n")
        }
        return true
    }
}
