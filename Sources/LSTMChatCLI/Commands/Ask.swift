import ArgumentParser
import Foundation
import LSTMChat

struct Ask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer one question, or one per line of standard input.",
        discussion: """
        Prints the answer on standard output. With --n-best N, prints the N best answers, best \
        first, one per line (beam search, at least N wide, unless sampling: then N samples). With \
        --json, prints one JSON object per question: the answers with their tokens and \
        log-probabilities, the decoding settings used (the seed among them, so a sampled \
        answer can be had again), the model's confidence in the question (0–1) and whether it \
        was below the threshold, when the --fallback text is printed instead of the answers \
        (--json still lists them).

        When standard output is not a terminal, each answer takes one line: a multi-line answer \
        (code, steps) has its line breaks written \\n, its tabs \\t and its backslashes \\\\, as \
        in a TSV answer. On a terminal and in --json the answers are as written.

        A language model continues the text; a classifier prints the most likely label with its \
        probability (--top N: the N most likely).

        Examples:
          lstmchat ask "how are you"
          lstmchat ask --beam 8 --n-best 3 "what is your name"
          lstmchat ask --json < questions.txt > answers.jsonl
        """
    )

    @Argument(help: ArgumentHelp("The question. Without it, questions are read from standard input, one per line.", valueName: "question"))
    var question: String?

    @OptionGroup var model: CheckpointOption
    @OptionGroup var quantization: QuantizeOption

    @Option(help: ArgumentHelp("Print the n best answers, best first. (default: 1)", valueName: "n"))
    var nBest: Int?

    @Option(help: ArgumentHelp("A classifier's n most likely labels, with their probabilities. (default: 1)", valueName: "n"))
    var top: Int?

    @Flag(help: "Print JSON: answers, tokens, log-probabilities and settings.")
    var json = false

    @OptionGroup var flags: UseFlags

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top: expected a whole number ≥ 1, got \(top)") }
        if let nBest, !(1...64).contains(nBest) { throw ValidationError("--n-best: expected a whole number from 1 to 64, got \(nBest)") }
    }

    func run() throws {
        let model = try model.open(quantization)
        let use = flags.given(nBest: nBest, top: top)
        try use.check(model)
        setvbuf(stdout, nil, _IOLBF, 0)
        func ask(_ text: String) {
            let reply = model.ask(text, use.options)
            for note in reply.notes { Terminal.standardError(note) }
            if json { print(reply.json) } else { for line in reply.lines { print(line) } }
        }
        if let question { ask(question) } else { while let line = readLine(strippingNewline: true) { ask(line) } }
    }
}
