import ArgumentParser
import Foundation
import LSTMChat

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on question/answer pairs.",
        discussion: """
            Reports the loss and perplexity of the reference answers, the share of distinct \
            questions whose greedy answer equals one of their reference answers (exact match, \
            after tokenizing: case and spacing around punctuation do not count), and the mean \
            best token F1. DATA is read as by `lstmchat train`.

            Example:
              lstmchat eval --checkpoint checkpoints/default datasets/chatterbot-english
            """)

    @Argument(help: "Question/answer data: a .tsv or .yml file, or a directory of them.")
    var data: String?

    @Option(help: ArgumentHelp("Questions file, one per line (with --answers).", valueName: "file"))
    var questions: String?

    @Option(help: ArgumentHelp("Answers file, one per line, parallel to --questions.", valueName: "file"))
    var answers: String?

    @Option(help: "Data format when the extension does not say: tsv, parallel or yaml.")
    var format: String?

    @Option(help: ArgumentHelp("The model: a model.safetensors file, or a checkpoint directory holding one.", valueName: "path"))
    var checkpoint = ChatModel.defaultPath

    @Option(help: "Longest greedy answer, in tokens.")
    var maxLength = 60

    @Flag(help: "Print the figures as JSON.")
    var json = false

    func validate() throws {
        if data == nil, questions == nil { throw ValidationError("give the data: a file or directory, or --questions and --answers") }
        if (questions == nil) != (answers == nil) { throw ValidationError("--questions and --answers go together") }
        if let format, DataFormat(rawValue: format) == nil { throw ValidationError("--format must be tsv, parallel or yaml") }
        if maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        let model: ChatModel
        do {
            model = try ChatModel.load(path: checkpoint, missingHint: ChatModel.missingHint)
        } catch let error as ChatError {
            throw CommandFailure(error.description)
        }
        let pairs = try questions.map { try DatasetReader.read(questions: $0, answers: answers!) }
            ?? DatasetReader.read(data!, format: format.flatMap(DataFormat.init(rawValue:)))
        let tokenized = pairs.map { (model.tokenizer.tokenize($0.question), model.tokenizer.tokenize($0.answer)) }
            .filter { !$0.0.isEmpty && !$0.1.isEmpty }
        let encoded = tokenized.map { (question: model.vocabulary.encode($0.0), answer: model.vocabulary.encode($0.1)) }
        let e = Evaluator.evaluate(model: model.network, vocabulary: model.vocabulary, pairs: encoded,
                                   answerTokens: tokenized.map(\.1), maxAnswerLength: maxLength)
        if json {
            let object: [String: Any] = ["loss": e.loss, "perplexity": e.perplexity, "accuracy": e.accuracy,
                                         "token_f1": e.tokenF1, "pairs": e.pairs, "questions": e.questions]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "loss %.4f  perplexity %.2f  exact match %.1f%% of %d questions  token F1 %.3f  (%d pairs)",
                         e.loss, e.perplexity, 100 * e.accuracy, e.questions, e.tokenF1, e.pairs))
        }
    }
}
