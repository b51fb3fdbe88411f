import ArgumentParser
import Foundation
import LSTMChat

/// `train`'s flags for the recipe: one flag per `Recipe.Key`, each optional, so that a flag
/// not given leaves the task's default (`TaskDefinition.defaults`) and a flag given to a task it
/// means nothing to can be refused. The help shows each task's real default, from the task.
struct RecipeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Questions file, one per line (with --answers). " + RecipeHelp.tasks(.questions), valueName: "file"))
    var questions: String?
    @Option(help: ArgumentHelp("Answers file, one per line, parallel to --questions. " + RecipeHelp.tasks(.answers), valueName: "file"))
    var answers: String?
    @Option(help: ArgumentHelp("Data format when the extension does not say: tsv, parallel or yaml. " + RecipeHelp.tasks(.format), valueName: "format"))
    var format: String?

    @Option(help: ArgumentHelp(RecipeHelp.text(.tokenizer, "Tokenizer: word or char."), valueName: "kind")) var tokenizer: String?
    @Option(help: ArgumentHelp(RecipeHelp.text(.embed, "Token vector size."), valueName: "n")) var embed: Int?
    @Option(help: ArgumentHelp(RecipeHelp.text(.hidden, "LSTM hidden size."), valueName: "n")) var hidden: Int?
    @Option(help: ArgumentHelp(RecipeHelp.text(.layers, "LSTM layers (in the encoder and in the decoder)."), valueName: "n")) var layers: Int?
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(RecipeHelp.text(.attention, "Luong attention: the decoder looks back at the question's words at every step.")))
    var attention: Bool?
    @Option(help: ArgumentHelp(RecipeHelp.text(.softmax, "The output layer's softmax: full, or adaptive for large vocabularies (tens of thousands of words: several times faster to train)."), valueName: "kind"))
    var softmax: String?
    @Option(help: ArgumentHelp(RecipeHelp.text(.cutoffs, "Adaptive softmax: the ids where the shortlist and each rarer cluster of words end (the vocabulary is most frequent first)."), valueName: "ids"))
    var cutoffs: String?
    @Option(help: ArgumentHelp(RecipeHelp.text(.minCount, "Keep tokens seen at least this often."), valueName: "n")) var minCount: Int?
    @Option(help: ArgumentHelp(RecipeHelp.text(.maxVocab, "Vocabulary size limit, special tokens included."), valueName: "n")) var maxVocab: Int?

    @Option(help: ArgumentHelp(RecipeHelp.text(.epochs, "Passes over the training data."), valueName: "n")) var epochs: Int?
    @Option(help: ArgumentHelp(RecipeHelp.text(.lr, "Adam learning rate."), valueName: "rate")) var lr: Float?
    @Option(help: ArgumentHelp(RecipeHelp.text(.lrDecay, "Learning-rate factor applied after every epoch."), valueName: "factor")) var lrDecay: Float?
    @Option(help: ArgumentHelp(RecipeHelp.text(.lrFloor, "The decay stops at this share of --lr, so that a long run on a small text keeps learning; 0 never stops it."), valueName: "share"))
    var lrFloor: Float?
    @Option(help: ArgumentHelp(RecipeHelp.text(.clip, "Clip the global gradient norm to this; 0 turns it off."), valueName: "norm")) var clip: Float?
    @Option(help: ArgumentHelp(RecipeHelp.text(.dropout, "Dropout between layers and before the output layer."), valueName: "share")) var dropout: Float?
    @Option(help: ArgumentHelp(RecipeHelp.text(.wordDropout, "Share of question words replaced by <unk> in training, so that no one word decides the answer."), valueName: "share"))
    var wordDropout: Float?
    @Option(help: ArgumentHelp(RecipeHelp.text(.batchSize, "Rows per batch; without this flag, fewer when the data is too small for \(Recipe.minimumStepsPerEpoch) steps an epoch."), valueName: "n"))
    var batchSize: Int?
    @Option(help: ArgumentHelp(RecipeHelp.text(.seed, "Random seed: the same seed, data and flags give the same model."), valueName: "n")) var seed: UInt64?
    @Option(help: ArgumentHelp(RecipeHelp.text(.maxLength, "Longest question, answer or text in tokens; longer ones are cut."), valueName: "n")) var maxLength: Int?
    @Option(help: ArgumentHelp(RecipeHelp.text(.seqLength, "Tokens in each window of truncated backpropagation through time."), valueName: "n")) var seqLength: Int?
    @Option(help: ArgumentHelp(RecipeHelp.text(.valFraction, "Share of the data held out for validation."), valueName: "share")) var valFraction: Double?

    @Option(help: ArgumentHelp("Stop once the greedy exact match on the training questions reaches this share (0 to 1), measured after every epoch; the model is saved. " + RecipeHelp.tasks(.untilAccuracy), valueName: "share"))
    var untilAccuracy: Float?
    @Option(help: ArgumentHelp(RecipeHelp.text(.exactMatchSample, "Distinct training questions whose greedy answers are checked after every epoch; 0 checks all."), valueName: "n"))
    var exactMatchSample: Int?
    @Option(help: ArgumentHelp("Questions unrelated to the data, one a line, for choosing the confidence threshold at the end. (default: DATA-unrelated.txt beside the data, if there is one; seq2seq only)", valueName: "file"))
    var unrelated: String?
    @Option(help: ArgumentHelp("Reworded questions of the data (question<TAB>regular expression of a right answer's key words), for choosing the confidence threshold. (default: DATA-reworded.tsv, if there is one; seq2seq only)", valueName: "file"))
    var keywords: String?

    /// The flags given, each key with its value as text, in the order of `Recipe.Key`.
    var values: [(key: Recipe.Key, text: String)] {
        func text<T: CustomStringConvertible>(_ value: T?) -> String? { value.map(\.description) }
        var all: [Recipe.Key: String?] = [:]
        all[.questions] = questions; all[.answers] = answers; all[.format] = format; all[.tokenizer] = tokenizer
        all[.embed] = text(embed); all[.hidden] = text(hidden); all[.layers] = text(layers)
        all[.attention] = attention.map { $0 ? "on" : "off" }
        all[.softmax] = softmax; all[.cutoffs] = cutoffs
        all[.minCount] = text(minCount); all[.maxVocab] = text(maxVocab); all[.epochs] = text(epochs)
        all[.lr] = text(lr); all[.lrDecay] = text(lrDecay); all[.lrFloor] = text(lrFloor); all[.clip] = text(clip)
        all[.dropout] = text(dropout); all[.wordDropout] = text(wordDropout); all[.batchSize] = text(batchSize)
        all[.seed] = text(seed); all[.maxLength] = text(maxLength); all[.seqLength] = text(seqLength)
        all[.valFraction] = text(valFraction); all[.untilAccuracy] = text(untilAccuracy)
        all[.exactMatchSample] = text(exactMatchSample); all[.unrelated] = unrelated; all[.keywords] = keywords
        return Recipe.Key.allCases.compactMap { key in all[key].flatMap { $0 }.map { (key, $0) } }
    }

    /// The keys whose flags were given.
    var given: [Recipe.Key] { values.map(\.key) }

    /// Each value is checked as the recipe checks it (`Recipe.set`): one rule for flags and config files.
    func validate() throws {
        if (questions == nil) != (answers == nil) { throw ValidationError("--questions and --answers go together") }
        var trial = ModelTask.default.definition.defaults
        for (key, text) in values {
            do { try trial.set(key, to: text) } catch { throw ValidationError(error.description) }
        }
    }

    /// `recipe` with the flags given put in.
    func apply(to recipe: inout Recipe) throws {
        for (key, text) in values { try recipe.set(key, to: text) }
    }
}

/// The help of a recipe flag, with each task's default read from the task itself.
enum RecipeHelp {
    /// "Adam learning rate. (default: 0.02; lm: 0.002; classify: 0.005)"
    static func text(_ key: Recipe.Key, _ meaning: String) -> String {
        meaning + " (default: " + defaults(key) + ")"
    }

    /// "0.02; lm: 0.002; classify: 0.005", or "5" when every task that takes it agrees, with
    /// "seq2seq only" (or the tasks that take it) when some do not take it.
    static func defaults(_ key: Recipe.Key) -> String {
        let tasks = key.tasks
        let values = tasks.map { ($0, $0.definition.defaults.text(of: key) ?? "none") }
        var text = values.first!.1
        if Set(values.map(\.1)).count > 1 {
            text = "\(values[0].0.rawValue): \(values[0].1); " + values.dropFirst().map { "\($0.0.rawValue): \($0.1)" }.joined(separator: "; ")
        }
        if tasks.count < ModelTask.allCases.count { text += "; \(key.taskNames) only" }
        return text
    }

    /// "(seq2seq only)"
    static func tasks(_ key: Recipe.Key) -> String { "(\(key.taskNames) only)" }
}

extension ModelTask: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
