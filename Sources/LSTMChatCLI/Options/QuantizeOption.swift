import ArgumentParser
import LSTMChat

/// `--quantize int8`: generate on int8 weights (`ask`, `chat`, `eval`, `generate`, `serve`, `bench`).
struct QuantizeOption: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Generate on int8 weights: int8 (a quarter of the memory, faster; answers nearly always the \
        same). A model written by `lstmchat quantize` is int8 without it.
        """, valueName: "int8"))
    var quantize: Quantization?
}

extension Quantization: ExpressibleByArgument {}
