import Foundation

/// The text classifier: labelled texts in (text<TAB>label lines, or a ChatterBot corpus
/// labelled by its categories), a seeded share held out, an LSTM read to the end of each text
/// and an affine layer over its last state (`ClassifierModel`), scored by held-out accuracy,
/// loaded as a `LabelModel`.
public enum ClassifierTask: TaskDefinition {
    public typealias Model = ClassifierModel

    public static let identity = TaskIdentity(task: .classifier, description: "a text classifier", format: "lstmchat-classifier/1",
                                              uses: "ask, chat and eval label texts with it")
    public static var hasLabels: Bool { true }

    public static var defaults: Recipe {
        Recipe(task: .classifier, data: DataSource(), tokenizer: .word, embed: 64, hidden: 128, layers: 1, attention: false,
               epochs: 40, lr: 0.005, lrDecay: 0.97, dropout: 0.2, maxLength: 60, valFraction: 0.1)
    }

    public static var keys: Set<Recipe.Key> { Recipe.Key.modelAndSolver.union([.maxLength]) }

    public static func loaded(_ network: ClassifierModel, from checkpoint: CheckpointFile, vocabulary: Vocabulary,
                              tokenizer: Tokenizer, file: String) -> any LoadedModel {
        LabelModel(network: network, vocabulary: vocabulary, tokenizer: tokenizer, labels: checkpoint.labels, path: file)
    }

    public static func prepare(_ recipe: Recipe, resumed: CheckpointFile?, cache: URL?, fitBatchSize: Bool,
                               warn: (String) -> Void) throws -> TaskData<ClassifierModel> {
        var recipe = recipe
        let texts = try LabelledTextReader.read(recipe.data.data ?? "-")
        let (trainTexts, validationTexts) = splitForValidation(texts, fraction: recipe.valFraction, seed: recipe.seed)
        // A resumed run keeps its vocabulary and tokenizer.
        let trained = try resumed?.vocabularyAndTokenizer(file: "the run's model")
        let tokenizer = trained?.1 ?? Tokenizer(kind: recipe.tokenizer)
        let labels = resumed?.labels ?? Array(Set(trainTexts.map(\.label))).sorted()
        let labelIDs = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        if let orphan = validationTexts.first(where: { labelIDs[$0.label] == nil }) {
            throw DataError(file: orphan.file, line: orphan.line, "label \"\(orphan.label)\" is only in the validation share; "
                            + "give it more texts or change --val-fraction or --seed")
        }
        let tokenize = { (t: LabelledText) in Array(tokenizer.tokenize(t.text).prefix(recipe.maxLength)) }
        let trainTokens = trainTexts.map(tokenize)
        let vocabulary = trained?.0
            ?? Vocabulary(counting: trainTokens, minCount: recipe.minCount, maxSize: recipe.maxVocab)
        func encoded(_ texts: [LabelledText], _ tokens: [[String]]) -> [(ids: [Int32], label: Int32)] {
            zip(texts, tokens).filter { !$0.1.isEmpty }.map { (vocabulary.encode($0.1), labelIDs[$0.0.label]!) }
        }
        let trainSet = encoded(trainTexts, trainTokens), validationSet = encoded(validationTexts, validationTexts.map(tokenize))
        if trainSet.count < trainTexts.count { warn("\(trainTexts.count - trainSet.count) texts with no tokens were left out") }
        guard !trainSet.isEmpty else { throw CommandFailure("no texts left to train on") }
        if fitBatchSize { recipe.batchSize = Recipe.fittedBatchSize(recipe.batchSize, rows: trainSet.count) }
        var baseline = ""
        if !validationSet.isEmpty {
            let counts = Dictionary(grouping: validationSet, by: \.label).mapValues(\.count)
            let (label, count) = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!
            baseline = String(format: "; always saying \"%@\" gets %.1f%% of them right",
                              labels[Int(label)], 100 * Double(count) / Double(validationSet.count))
        }
        let batcher = ClassifierBatcher(rows: trainSet, batchSize: recipe.batchSize, seed: recipe.seed)
        var data = TaskData<ClassifierModel>(
            recipe: recipe, vocabulary: vocabulary, tokenizer: tokenizer,
            summary: "\(trainSet.count) texts (\(validationSet.count) held out\(baseline)), \(labels.count) labels",
            fingerprint: dataFingerprint(texts.lazy.map { $0.text + "\t" + $0.label + "\n" }),
            batches: { EpochBatches(batcher.batches(epoch: $0)) },
            describe: { v, _ in v.map { [String(format: "validation loss %.3f, accuracy %.1f%%", $0.loss, 100 * $0.accuracy)] } ?? [] },
            nextStep: { "label texts with it: lstmchat ask --checkpoint \($0.url.path) \"some text\"" })
        data.labels = labels
        data.validate = { model in
            guard !validationSet.isEmpty else { return nil }
            let texts = validationSet.map(\.ids), truth = validationSet.map(\.label)
            let score = ClassifierScore(model, texts: texts, labels: truth)
            return .init(loss: score.loss, accuracy: Float(score.accuracy))
        }
        return data
    }
}

/// A classifier's mean loss and accuracy on labelled texts (token ids), in batches of 64.
public struct ClassifierScore {
    public var loss: Float
    public var accuracy: Double
    /// Each text's most likely label.
    public var predicted: [Int32]

    public init(_ model: ClassifierModel, texts: [[Int32]], labels: [Int32]) {
        var lossSum: Double = 0
        predicted = []
        for start in stride(from: 0, to: texts.count, by: 64) {
            let range = start..<min(start + 64, texts.count)
            let batch = ClassifierBatch(texts: Array(texts[range]), labels: Array(labels[range]))
            lossSum += Double(model.loss(batch)) * Double(range.count)
            for p in model.probabilities(batch) {
                predicted.append(Int32(p.indices.max { p[$0] < p[$1] }!))
            }
        }
        loss = Float(lossSum / Double(max(texts.count, 1)))
        accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(texts.count, 1))
    }
}
