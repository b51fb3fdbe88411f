import Foundation
import LSTMChat

/// A small random model saved as a checkpoint once per test run, for the commands that need one.
enum TinyCheckpoint {
    static let vocabulary = ["<pad>", "<unk>", "<bos>", "<eos>"]
        + "hi hello how are you i am fine what is your name my good bad yes no ok".split(separator: " ").map(String.init)

    /// `…/model.safetensors` in a directory of its own.
    static let path: String = write()

    /// The same model, knowing it was trained on "what is your name" and "how are you".
    static let withKnownQuestions: String = write(knownQuestions: [[12, 13, 14, 15], [6, 7, 8]])

    private static func write(knownQuestions: [[Int32]] = []) -> String {
        let config = ModelConfig(vocabSize: vocabulary.count, embedSize: 8, hiddenSize: 16, layers: 2)
        let parameters = Parameters(layout: config.seq2seqLayout)
        parameters.initialize(seed: 1, hiddenSize: config.hiddenSize)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lstmchat-tiny-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("model.safetensors")
        var checkpoint = CheckpointFile(config: config, parameters: parameters, vocabulary: vocabulary, tokenizer: "word",
                                        training: ["steps": "12"])
        checkpoint.knownQuestions = TokenLists(knownQuestions)
        try! checkpoint.write(to: file)
        return file.path
    }
}
