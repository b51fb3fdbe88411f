import ArgumentParser
import Foundation
import LSTMChat

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model with int8 weights: a quarter of the size, and faster to answer.",
        discussion: """
            Every weight matrix is stored as int8 with a float32 scale per row (attention's: per \
            32 columns of a row; docs/quantization.md); biases stay float32. chat, ask, eval and generate recognise the file and generate on \
            int8 weights, as --quantize int8 does with the float32 model. Question-answering models \
            with a full softmax and language models only.

            Example:
              lstmchat quantize checkpoints/default checkpoints/default-int8.safetensors
            """)

    @Argument(help: ArgumentHelp("The float32 model: a model.safetensors file, a checkpoint directory, or a bundled model's name.", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("The int8 model file to write.", valueName: "out"))
    var output: String

    func run() throws {
        let file = LoadedModels.modelFile(BundledModels.resolve(input))
        var checkpoint = try LoadedModels.read(file)
        guard checkpoint.int8.isEmpty else { throw CommandFailure("\(file): already quantized") }
        if let what = checkpoint.notQuantizable {
            throw CommandFailure("\(file): \(what) cannot be quantized (question-answering models with a full softmax and language models can)")
        }
        checkpoint.quantize()
        try checkpoint.write(to: URL(fileURLWithPath: output))
        let size = { (path: String) in ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0 }
        let (before, after) = (size(file), size(output))
        print("wrote \(output): \(String(format: "%.1f", Double(after) / 1e6)) MB, \(String(format: "%.2f", Double(after) / Double(max(before, 1))))× of \(file)'s \(String(format: "%.1f", Double(before) / 1e6)) MB")
    }
}
