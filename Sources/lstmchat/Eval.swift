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

    @OptionGroup var source: DataOptions

    @Option(help: ArgumentHelp("The model: a model.safetensors file, or a checkpoint directory holding one.", valueName: "path"))
    var checkpoint = ChatModel.defaultPath

    @Option(help: "Longest greedy answer, in tokens.")
    var maxLength = 60

    @Flag(help: "Print the figures as JSON.")
    var json = false

    func validate() throws {
        if !source.isGiven { throw ValidationError("give the data: a file or directory, or --questions and --answers") }
        if maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        let model = try ChatModel.load(path: checkpoint, missingHint: ChatModel.missingHint)
        let pairs = try source.dataSource.read()
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
