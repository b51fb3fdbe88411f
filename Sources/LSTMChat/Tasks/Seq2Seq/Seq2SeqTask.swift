import Foundation

/// The question-answering chatbot: question/answer pairs in, an encoder–decoder with Luong
/// attention (`Seq2SeqModel`) trained on them, scored after each epoch by the exact match of
/// its greedy answers to its own questions, loaded as a `ChatModel`.
public enum Seq2SeqTask: TaskDefinition {
    public typealias Model = Seq2SeqModel

    public static let identity = TaskIdentity(task: .seq2seq, description: "a question-answering model", format: "lstmchat-seq2seq/1",
                                              uses: "chat, ask and eval answer with it")

    /// The recipe that learned the bundled corpus fastest (docs/learning-quality.md).
    public static var defaults: Recipe {
        Recipe(task: .seq2seq, data: DataSource(), tokenizer: .word, embed: 64, hidden: 128, layers: 1, attention: true,
               softmax: .full, cutoffs: [2000, 10_000], epochs: 40, lr: 0.02, lrDecay: 0.9, dropout: 0, maxLength: 400, valFraction: 0)
    }

    public static var keys: Set<Recipe.Key> {
        Set(Recipe.Key.allCases).subtracting([.seqLength])
    }

    public static func loaded(_ network: Seq2SeqModel, from checkpoint: CheckpointFile, vocabulary: Vocabulary,
                              tokenizer: Tokenizer, file: String) -> any LoadedModel {
        ChatModel(network: network, vocabulary: vocabulary, tokenizer: tokenizer,
                  trainingSteps: checkpoint.training["steps"].flatMap { Int($0) }, confidence: checkpoint.confidence,
                  knownQuestions: checkpoint.knownQuestions.isEmpty ? nil : KnownQuestions(checkpoint.knownQuestions), path: file)
    }

    public static func prepare(_ recipe: Recipe, resumed: CheckpointFile?, cache: URL?, fitBatchSize: Bool,
                               warn: (String) -> Void) throws -> TaskData<Seq2SeqModel> {
        var recipe = recipe
        // The questions the confidence threshold is chosen from at the end: read first, so that
        // a bad file stops the run before anything is trained.
        let calibration = try calibrationSets(recipe)
        // A resumed run keeps its vocabulary and tokenizer; a new one keeps its answers as written.
        let trained = try resumed?.vocabularyAndTokenizer(file: "the run's model")
        let tokenizer = trained?.1 ?? Tokenizer(kind: recipe.tokenizer, keepsText: true)
        // The pairs as token ids, whole (not cut to --max-length): from the run's cache when it
        // is still the data's, else read and tokenized a pair at a time.
        let files = try recipe.data.files()
        let cached = trained.flatMap { trained in
            cache.flatMap { cache in
                try? PairsCache.read(cache, key: PairsCache.Key(files: files, tokenizer: tokenizer, vocabulary: trained.0),
                                     vocabularySize: trained.0.count) { warn("\(cache.path): \($0); reading the data again") }
            }
        }
        let isCached = cached != nil
        let (pairs, vocabulary, fingerprint) = try cached.map { ($0.pairs, trained!.0, $0.fingerprint) } ?? {
            var builder = TokenizedPairs.Builder(tokenizer: tokenizer)
            try recipe.data.forEachPair { try builder.append(question: $0.question, answer: $0.answer) }
            let isValidation = validationShare(count: builder.count, fraction: recipe.valFraction, seed: recipe.seed)
            return builder.finish(vocabulary: { counts in
                trained?.0 ?? Vocabulary(counts: counts, minCount: recipe.minCount, maxSize: recipe.maxVocab)
            }, counted: { !isValidation[$0] })
        }()
        let isValidation = validationShare(count: pairs.count, fraction: recipe.valFraction, seed: recipe.seed)
        let trainRows = (0..<pairs.count).filter { !isValidation[$0] }
        let truncated = trainRows.count(where: { pairs.questionLength($0) > recipe.maxLength || pairs.answerLength($0) > recipe.maxLength })
        if fitBatchSize { recipe.batchSize = Recipe.fittedBatchSize(recipe.batchSize, rows: trainRows.count) }
        let batcher = Batcher(pairs: pairs, rows: trainRows, maxLength: recipe.maxLength, batchSize: recipe.batchSize,
                              seed: recipe.seed, wordDropout: recipe.wordDropout)
        if truncated > 0 { warn("\(truncated) pairs longer than \(recipe.maxLength) tokens were cut (--max-length)") }
        if batcher.droppedEmptyCount > 0 { warn("\(batcher.droppedEmptyCount) pairs with no tokens on one side were left out") }
        guard batcher.count > 0 else { throw CommandFailure("no pairs left to train on") }
        if let problem = recipe.config(vocabSize: vocabulary.count).adaptiveSoftmaxProblem { throw CommandFailure(problem) }

        // Validation pairs as the model sees them, answers whole: exact match compares with them (`ExactMatch`).
        let validation = (0..<pairs.count).filter { isValidation[$0] && pairs.questionLength($0) > 0 && pairs.answerLength($0) > 0 }
            .map { pairs[$0] }
        let validationMatch = ExactMatch(pairs: validation)
        // What the model answers of its own questions, after every epoch.
        // Whole answers, not cut to --max-length: the exact match of `eval` (`ExactMatch`).
        let probe = ExactMatchProbe(pairs: pairs, rows: trainRows, limit: recipe.exactMatchSample)
        // Stored with the model so that chat can match a question asked in other words to one of
        // these: the distinct questions trained on, as batched (cut), sharing the pairs' tokens.
        let knownRows = recipe.tokenizer == .word ? pairs.firstOfEachQuestion(among: batcher.rows.lazy.map { Int($0) }) : nil
        let knownQuestions = knownRows.map { rows in
            let cut = pairs.questions(of: rows, limit: recipe.maxLength)
            // Distinct whole questions cut to the same tokens are one.
            return rows.contains { pairs.questionLength($0) > recipe.maxLength } ? cut.distinct() : cut
        }
        let text = { (ids: [Int32]) in tokenizer.detokenize(ids.map { vocabulary.tokens[Int($0)] }) }
        var shownAnswers: [String] = []

        var data = TaskData<Seq2SeqModel>(
            recipe: recipe, vocabulary: vocabulary, tokenizer: tokenizer,
            summary: "\(batcher.count) pairs (\(validation.count) held out)",
            fingerprint: fingerprint,
            batches: { batcher.batches(epoch: $0) },
            describe: { v, exactMatch in
                var figures: [String] = []
                if let exactMatch {
                    figures.append(String(format: "exact match %.1f%% of %d training questions", 100 * exactMatch, probe.questions.count))
                }
                if let v {
                    figures.append(String(format: "validation loss %.3f, perplexity %.1f, accuracy %.1f%%", v.loss, v.perplexity, 100 * v.accuracy))
                }
                return [figures.joined(separator: "; ")] + shownAnswers
            },
            nextStep: { "chat with it: lstmchat chat --checkpoint \($0.url.path)" })
        data.validate = { model in
            guard !validation.isEmpty else { return nil }
            return .init(loss: Evaluator.loss(model: model, pairs: validation), accuracy: validationMatch.measure(model).share)
        }
        data.measure = { model in
            let result = probe.measure(model)
            shownAnswers = result.samples.map { "  \(text($0.question)) → \(text($0.answer))" }
            return result.exactMatch
        }
        data.annotate = { $0.knownQuestions = knownQuestions ?? TokenLists() }
        if !isCached {
            let key = try PairsCache.Key(files: files, tokenizer: tokenizer, vocabulary: vocabulary)
            data.writeCache = { try PairsCache.write(pairs, fingerprint: fingerprint, key: key, to: $0) }
        }
        data.finish = { model, directory in
            // The model as chat will load it: its questions asked in other words are matched as
            // chat's are. Made only to calibrate (500,000 questions' matcher is tens of MB).
            let chatModel = {
                ChatModel(network: model, vocabulary: vocabulary, tokenizer: tokenizer, trainingSteps: nil,
                          knownQuestions: knownQuestions.map(KnownQuestions.init), path: directory.model.path)
            }
            // The training pairs as text, read again now: the threshold is judged on them too.
            var sets = calibration
            if sets != nil {
                var index = 0
                try recipe.data.forEachPair { pair in
                    if !isValidation[index] { sets!.corpus.append(pair) }
                    index += 1
                }
            }
            return try storeConfidenceThreshold(sets, directory: directory, model: chatModel, maxLength: recipe.maxLength)
        }
        return data
    }

    /// The unrelated and reworded questions of --unrelated and --keywords, or else of the files
    /// beside the data; nil without unrelated questions.
    static func calibrationSets(_ recipe: Recipe) throws -> CalibrationSets? {
        let companions = CalibrationSets.companions(of: recipe.data.data)
        return try (recipe.unrelated ?? companions.unrelated).map {
            try CalibrationSets.read(unrelated: $0, reworded: recipe.keywords ?? companions.reworded)
        }
    }

    /// Chooses the confidence threshold from the calibration questions (at most 500 distinct
    /// training questions; all answered in batches, so it takes about a second) and stores it in
    /// the saved model.
    static func storeConfidenceThreshold(_ sets: CalibrationSets?, directory: CheckpointDirectory, model: () -> ChatModel,
                                         maxLength: Int) throws -> [String] {
        guard let sets else {
            return ["no confidence threshold chosen: no unrelated questions (--unrelated FILE, or DATA-unrelated.txt beside the data)"]
        }
        let scores = sets.score(model(), maxLength: maxLength, corpusQuestions: 500)
        guard let threshold = scores.chooseThreshold() else {
            return ["no confidence threshold chosen: none refuses an unrelated question within the limits"]
        }
        var file = try CheckpointFile.read(directory.model)
        file.confidence = ConfidenceThreshold(threshold: threshold)
        try file.write(to: directory.model)
        return ["min confidence \(ConfidenceReport.number(threshold)) stored in the model: \(ConfidenceReport.line(scores.tradeoff(at: threshold), scores))"]
    }
}
