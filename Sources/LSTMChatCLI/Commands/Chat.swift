import ArgumentParser
import Foundation
import LSTMChat

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a trained model.",
        discussion: """
        Type a question and press Return; the model answers on the next line. Lines that start \
        with / are commands (type /help for the list; Tab completes them). Arrow keys and Ctrl-R \
        search the history, which is kept between sessions. Ctrl-C clears the line; Ctrl-D or \
        /quit leaves. When the model's confidence in a question is below the threshold \
        (--min-confidence, /minconf; by default the one stored in the model), it says the \
        --fallback text instead of its answer. A question the model was not trained on is \
        asked as the most similar question it was, when their words are similar enough \
        (--match, /match); standard error shows it: (asked as: …).

        A language model continues each line typed; a classifier labels it.

        When standard input is not a terminal, chat reads one question per line and writes one \
        answer per line, with no prompt (an empty line gets an empty line); when standard output \
        is not a terminal, a multi-line answer is written on its line as in a TSV answer (\\n, \
        \\t, \\\\ for line breaks, tabs and backslashes):
          printf 'hi\\nhow are you\\n' | lstmchat chat
        """
    )

    @OptionGroup var model: CheckpointOption
    @OptionGroup var quantization: QuantizeOption

    @Option(help: ArgumentHelp("Where to keep the history of typed lines ('' keeps none). (default: $XDG_STATE_HOME/lstmchat/history)", valueName: "file"))
    var historyFile: String?

    @OptionGroup var flags: UseFlags

    func run() throws {
        let model = try model.open(quantization)
        let use = flags.given()
        try use.check(model)
        REPL.run(model.conversation(use.options), model: model, historyFile: historyFile ?? History.defaultFile())
    }
}
