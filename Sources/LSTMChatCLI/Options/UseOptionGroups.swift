import ArgumentParser
import Foundation
import LSTMChat

/// The flags `ask` and `chat` share: decoding, confidence, and questions in other words.
struct UseFlags: ParsableArguments {
    @OptionGroup(title: "Decoding") var decoding: DecodingOptions
    @OptionGroup(title: "Confidence") var confidence: ConfidenceOptions
    @OptionGroup(title: "Questions in other words") var matching: MatchOptions

    func given(nBest: Int? = nil, top: Int? = nil) -> GivenUseOptions {
        GivenUseOptions(decoding: decoding, confidence: confidence, matching: matching, nBest: nBest, top: top)
    }
}

/// What `ask` and `chat` were told, and which of their options were given: a model refuses
/// the options it cannot use (`LoadedModel.options`).
struct GivenUseOptions {
    var options = UseOptions()
    var given: Set<UseOption> = []

    init(decoding: DecodingOptions, confidence: ConfidenceOptions, matching: MatchOptions, nBest: Int? = nil, top: Int? = nil) {
        options.decoding = decoding.settings
        options.minConfidence = confidence.minConfidence
        if let fallback = confidence.fallback { options.fallback = fallback }
        options.matchThreshold = matching.threshold
        if let nBest { options.nBest = nBest }
        if let top { options.top = top }
        // Through a pipe, one answer a line (a multi-line answer escaped as a TSV answer is).
        options.oneLinePerAnswer = isatty(STDOUT_FILENO) != 1
        if decoding.isGiven { given.insert(.decoding) }
        if decoding.allowUnknown { given.insert(.allowUnknown) }
        if confidence.isGiven { given.insert(.confidence) }
        if matching.isGiven { given.insert(.match) }
        if nBest != nil { given.insert(.nBest) }
        if top != nil { given.insert(.top) }
    }

    /// Refuses the options `model` cannot use: "--top does not apply to a question-answering model".
    func check(_ model: any LoadedModel) throws {
        let kind = type(of: model)
        if let option = UseOption.allCases.first(where: { given.contains($0) && !kind.options.contains($0) }) {
            throw UsageFailure("\(option.rawValue) \(option.rawValue.contains(",") ? "do" : "does") not apply to \(kind.task.description) (\(model.path))")
        }
    }
}
