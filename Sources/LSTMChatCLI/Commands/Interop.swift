import ArgumentParser
import Foundation
import LSTMChat

/// Commands that let another implementation of the model be checked against lstmchat's own
/// (`make interop` checks the PyTorch trainer in pytorch/ with them). Hidden from the help: they
/// speak JSON to programs, not to people.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the tokens of texts: a JSON string a line in, a JSON array of tokens a line out.",
        shouldDisplay: false)

    @Option(help: "Tokenizer: word or char.")
    var tokenizer = "word"

    @Flag(help: "Tokenize texts as answers kept as written (the tokenizer of models trained since).")
    var written = false

    func run() throws {
        guard let kind = Tokenizer.Kind(rawValue: tokenizer) else { throw ValidationError("--tokenizer must be word or char") }
        let tokenizer = Tokenizer(kind: kind, keepsText: written)
        var number = 0
        while let line = readLine(strippingNewline: true) {
            number += 1
            guard let text = try? JSONDecoder().decode(String.self, from: Data(line.utf8)) else {
                throw CommandFailure("standard input:\(number): expected a JSON string")
            }
            print(String(decoding: try JSONEncoder().encode(tokenizer.tokenizeAnswer(text)), as: UTF8.self))
        }
    }
}

struct Logits: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the logits of one batch to a safetensors file.",
        discussion: """
        Reads question/answer pairs as token ids, one JSON pair [[question ids], [answer ids]] a \
        line, makes them one batch (the decoder reads <bos> + answer), and writes its logits \
        [T, B, V] as the tensor "logits", with the batch's mean loss in the metadata.
        """,
        shouldDisplay: false)

    @OptionGroup var model: CheckpointOption

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the logits.", valueName: "file.safetensors"))
    var output: String

    func run() throws {
        let model = try LoadedModels.open(self.model.file, as: ChatModel.self)
        var questions: [[Int32]] = [], answers: [[Int32]] = []
        while let line = readLine(strippingNewline: true) {
            guard let pair = try? JSONDecoder().decode([[Int32]].self, from: Data(line.utf8)), pair.count == 2,
                  pair.joined().allSatisfy({ $0 >= 0 && Int($0) < model.vocabulary.count }) else {
                throw CommandFailure("standard input:\(questions.count + 1): expected [[question ids], [answer ids]] within the vocabulary")
            }
            questions.append(pair[0])
            answers.append(pair[1])
        }
        guard !questions.isEmpty else { throw CommandFailure("standard input: no pairs") }
        let batch = Seq2SeqBatch(questions: questions, answers: answers, bos: Vocabulary.bos, eos: Vocabulary.eos)
        var rng = Xoshiro256(seed: 0)
        let logits = Array(model.network.forward(batch, rng: &rng))
        let loss = model.network.loss(batch)
        let tensor = SafetensorsFile.Tensor(name: "logits", shape: [batch.targetSteps, batch.batchSize, model.vocabulary.count], values: logits)
        try SafetensorsFile.write([tensor], metadata: ["loss": "\(loss)"], to: URL(fileURLWithPath: output))
    }
}
