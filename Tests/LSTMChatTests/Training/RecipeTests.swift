import Foundation
import Testing
@testable import LSTMChat

@Suite struct RecipeTests {
    /// Runs saved before there was one recipe type still resume: both earlier shapes are read,
    /// with no learning-rate floor (they decayed without one).
    @Test func earlierRecipesAreRead() throws {
        let seq2seq = """
            {"source":{"data":"datasets/x.tsv"},"tokenizer":"word","embed":64,"hidden":128,"layers":1,"attention":true,
             "wordDropout":0.1,"minCount":1,"maxVocab":20000,"maxLength":60,"validationFraction":0,
             "settings":{"epochs":40,"learningRate":0.02,"lrDecay":0.9,"clip":5,"dropout":0,"batchSize":32,"seed":1}}
            """
        let old = try #require(Recipe(json: seq2seq))
        #expect(old.task == .seq2seq && old.data.data == "datasets/x.tsv" && old.attention && old.wordDropout == 0.1)
        #expect(old.lr == 0.02 && old.lrFloor == 0 && old.maxLength == 60 && old.batchSize == 32)
        let lm = """
            {"task":"lm","data":"kjv","tokenizer":"char","embed":32,"hidden":256,"layers":1,"minCount":1,"maxVocab":20000,
             "length":100,"validationFraction":0.05,
             "settings":{"epochs":10,"learningRate":0.004,"lrDecay":0.88,"clip":5,"dropout":0,"batchSize":32,"seed":1}}
            """
        let text = try #require(Recipe(json: lm))
        #expect(text.task == .languageModel && text.seqLength == 100 && text.valFraction == 0.05 && text.lrFloor == 0)
        #expect(Recipe(json: "{}") == nil && Recipe(json: nil) == nil)
    }

    /// A recipe's JSON reads back as itself.
    @Test(arguments: ModelTask.allCases)
    func aRecipeRoundTrips(task: ModelTask) {
        var recipe = task.definition.defaults
        recipe.data.data = "some/data"
        #expect(Recipe(json: recipe.json) == recipe)
    }
}
