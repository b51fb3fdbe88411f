import ArgumentParser
import Foundation
import LSTMChat

/// `--checkpoint`: the model a command uses, opened once.
struct CheckpointOption: ParsableArguments {
    @Option(help: ArgumentHelp("""
        The model: a model.safetensors file, a checkpoint directory holding one, or the name of \
        a bundled model (default, kjv-lm). (default: default)
        """, valueName: "path"))
    var checkpoint = BundledModels.defaultName

    /// The model file it names.
    var file: String { BundledModels.resolve(checkpoint) }

    func open(_ quantize: QuantizeOption? = nil) throws -> any LoadedModel { try LoadedModels.open(file, quantize: quantize?.quantize) }
}
