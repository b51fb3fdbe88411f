import Foundation
import Testing
@testable import LSTMChat

/// How seq2seq reads its data for a run: from the text, or on resume from the run's cache.
@Suite struct Seq2SeqPrepareTests {
    let directory: TemporaryDirectory
    let data: URL, cache: URL

    init() throws {
        directory = try TemporaryDirectory()
        data = try directory.file("qa.tsv", contents: "hi\thello there\nhow are you\tfine thanks\nwho are you\ta bot\nbye\tsee you\n")
        cache = directory.url.appendingPathComponent(PairsCache.fileName)
    }

    var recipe: Recipe {
        var recipe = Seq2SeqTask.defaults
        recipe.data.data = data.path
        recipe.batchSize = 2
        return recipe
    }

    func prepare(resumed: CheckpointFile?, warnings: inout [String]) throws -> TaskData<Seq2SeqModel> {
        var seen: [String] = []
        defer { warnings = seen }
        return try Seq2SeqTask.prepare(recipe, resumed: resumed, cache: cache, fitBatchSize: false) { seen.append($0) }
    }

    @Test func resumedRunReadsTheCacheWhileItIsTheData() throws {
        var warnings: [String] = []
        let fresh = try prepare(resumed: nil, warnings: &warnings)
        #expect(!FileManager.default.fileExists(atPath: cache.path), "a new run reads the text and writes no cache before its directory is made")
        try fresh.writeCache(cache)
        let model = Seq2SeqTask.makeModel(config: fresh.recipe.config(vocabSize: fresh.vocabulary.count), labels: 0, parameters: nil)
        let checkpoint = fresh.checkpoint(of: model, task: .seq2seq)

        let resumed = try prepare(resumed: checkpoint, warnings: &warnings)
        #expect(warnings.isEmpty && resumed.summary == fresh.summary && resumed.fingerprint == fresh.fingerprint)
        #expect(Array(resumed.batches(3)) == Array(fresh.batches(3)))

        // A cache that says other pairs, under this data's key, is what a resumed run trains on: it is read.
        let key = try PairsCache.Key(files: [data.path], tokenizer: resumed.tokenizer, vocabulary: resumed.vocabulary)
        try PairsCache.write(TokenizedPairs([([4], [5]), ([6], [7])] as [EncodedPair]), fingerprint: "other", key: key, to: cache)
        let other = try prepare(resumed: checkpoint, warnings: &warnings)
        #expect(other.summary == "2 pairs (0 held out)" && other.fingerprint == "other")

        // Cut short: said, and the text read again.
        let bytes = try Data(contentsOf: cache)
        try bytes.prefix(bytes.count - 4).write(to: cache)
        let rebuilt = try prepare(resumed: checkpoint, warnings: &warnings)
        #expect(warnings == ["\(cache.path): its size is not what its header says; reading the data again"])
        #expect(rebuilt.summary == fresh.summary && rebuilt.fingerprint == fresh.fingerprint)
        try rebuilt.writeCache(cache)

        // The data changed: the cache is stale, the new data is read (and `train` says it changed).
        try Data("hi\thello there\nhow are you\tfine thanks\nwho are you\ta bot\nbye\tsee you\nok\tok\n".utf8).write(to: data)
        let changed = try prepare(resumed: checkpoint, warnings: &warnings)
        #expect(warnings.isEmpty && changed.summary == "5 pairs (0 held out)" && changed.fingerprint != fresh.fingerprint)
    }
}
