import ArgumentParser
import Foundation
import LSTMChat

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write text with a language model.",
        discussion: """
            Streams text to standard output as it is sampled, token by token, going on from \
            --prompt (or from the start of a line). The model comes from `lstmchat train --task lm`. \
            Sampling is the default here; --temperature below 1 keeps closer to the training text.

            Examples:
              lstmchat generate --checkpoint checkpoints/kjv-lm --length 300
              lstmchat generate --checkpoint checkpoints/kjv-lm --prompt "And God said" --temperature 0.7 --seed 1
            """)

    @Option(help: ArgumentHelp("""
        The language model: a model.safetensors file, a checkpoint directory holding one, or the \
        name of a bundled model. (default: kjv-lm)
        """, valueName: "path"))
    var checkpoint = BundledModels.languageModelName

    @OptionGroup var quantization: QuantizeOption

    @Option(help: ArgumentHelp("Text the model continues (printed first).", valueName: "text"))
    var prompt = ""

    @Option(help: ArgumentHelp("How many tokens to write (characters for a character model).", valueName: "n"))
    var length = 500

    @Flag(help: "Take the most likely token every time instead of sampling.")
    var greedy = false

    @Option(help: ArgumentHelp("Sampling temperature, > 0: below 1 plays safe, above 1 takes chances.", valueName: "t"))
    var temperature: Float?

    @Option(help: ArgumentHelp("Sample only among the k most likely tokens.", valueName: "k"))
    var topK: Int?

    @Option(help: ArgumentHelp("Sample only among the most likely tokens that together have probability p (0 < p ≤ 1).", valueName: "p"))
    var topP: Float?

    @Option(help: ArgumentHelp("Seed for sampling, so that a text can be had again. (default: random)", valueName: "n"))
    var seed: UInt64?

    func validate() throws {
        if !(1...1_000_000).contains(length) { throw ValidationError("--length: expected a whole number from 1 to 1000000, got \(length)") }
        if let temperature, let problem = SettingRule.temperature.problem(temperature) { throw ValidationError("--temperature: \(problem)") }
        if let topK, let problem = SettingRule.topK.problem(topK) { throw ValidationError("--top-k: \(problem)") }
        if let topP, let problem = SettingRule.topP.problem(topP) { throw ValidationError("--top-p: \(problem)") }
        if greedy && (temperature != nil || topK != nil || topP != nil) { throw ValidationError("--greedy does not sample: drop the sampling flags") }
    }

    func run() throws {
        let model = try LoadedModels.open(BundledModels.resolve(checkpoint), as: TextModel.self, quantize: quantization.quantize)
        var settings = DecodingSettings()
        settings.strategy = greedy ? .greedy : .sample
        if let temperature { settings.temperature = temperature }
        if let topK { settings.topK = topK }
        if let topP { settings.topP = topP }
        settings.seed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        setvbuf(stdout, nil, _IONBF, 0)  // each token as soon as it is drawn
        print(prompt, terminator: "")
        model.continueText(prompt, length: length, settings: settings, stopAtLineEnd: false) { print($0, terminator: "") }
        print()
    }
}
