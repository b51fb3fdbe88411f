import Testing
@testable import LSTMChat

@Suite struct ExactMatchProbeTests {
    /// The probe stops an answer once it cannot be right; its figure is that of whole answers.
    @Test("the exact match is that of the whole greedy answers", arguments: [0, 20, 40, 80])
    func exactMatchIsThatOfTheWholeAnswers(steps: Int) throws {
        let model = try partlyTrainedModel(steps: steps, attention: true)
        let probe = ExactMatchProbe(pairs: smallCorpus, shownCount: 2, maxLength: 6)
        let whole = BatchedGreedy.answers(model: model, questions: probe.questions, maxLength: 6)
        let right = zip(whole, probe.references).filter { $1.contains($0) }.count
        let result = probe.measure(model)
        #expect(result.exactMatch == Float(right) / Float(probe.questions.count))
        #expect(result.samples.map(\.question) == probe.shown.map { probe.questions[$0] })
        #expect(result.samples.map(\.answer) == probe.shown.map { whole[$0] }, "shown answers are whole")
    }

    @Test func aPartlyTrainedModelAnswersSomeOfItsQuestions() throws {
        let probe = ExactMatchProbe(pairs: smallCorpus, maxLength: 6)
        let exactMatch = probe.measure(try partlyTrainedModel(steps: 40, attention: true)).exactMatch
        #expect(exactMatch > 0 && exactMatch < 1)
    }
}
