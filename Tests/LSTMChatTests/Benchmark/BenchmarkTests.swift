import Foundation
@testable import LSTMChat
import Testing

extension ThreadCountTests {
    /// The benchmark's bookkeeping (never its timings: no test here depends on the machine's speed).
    /// Among the suites that set the thread count: a training measurement restores it afterwards.
    @Suite struct BenchmarkTests {
        /// The peer's formula, worked by hand for the anchor workload:
        /// LSTM 2·(128+128)·4·128 = 262,144 per token, the projection 2·128·100 = 25,600;
        /// 20 rows × (15 question tokens × 3·262,144 + 15 answer tokens × 3·287,744).
        @Test func anchorFlopsMatchThePeersCount() {
            let anchor = BenchmarkWorkload.named("anchor")!
            #expect(anchor.flopsPerStep == 20 * (15 * 3 * 262_144 + 15 * 3 * 287_744))
            #expect(anchor.tokensPerStep == 600)
        }

        @Test(arguments: BenchmarkWorkload.all)
        func workloadsHaveThePeersShapes(_ w: BenchmarkWorkload) {
            let expected: [String: [Int]] = [
                "anchor": [100, 128, 128, 1, 15, 15, 20], "medium": [4000, 256, 256, 2, 16, 16, 64],
                "large": [16000, 512, 512, 2, 16, 16, 64],
            ]
            let c = w.config
            #expect([c.vocabSize, c.embedSize, c.hiddenSize, c.layers, w.questionSteps, w.answerSteps, w.batchSize] == expected[w.name])
        }

        /// The products the floor times are the ones the FLOP count counts, no more, no fewer.
        @Test(arguments: BenchmarkWorkload.all)
        func matrixProductsAddUpToTheFlopCount(_ w: BenchmarkWorkload) {
            let perLayer = 2 * 4 + 2 * w.questionSteps + 2 * w.answerSteps  // encoder and decoder
            #expect(w.matrixProducts.count == w.config.layers * perLayer + 3)
            #expect(w.matrixProducts.map(\.flops).reduce(0, +) == w.flopsPerStep)
        }

        /// A batch's output-layer products run on the answer positions whose target counts, as
        /// training does: the padding after shorter answers is left out of the products and the count.
        @Test func aBatchsOutputProductsRunOnCountedPositionsOnly() {
            let anchor = BenchmarkWorkload.named("anchor")!
            let batch = Seq2SeqBatch(questions: [[5, 6, 7], [8]], answers: [[9, 10, 11, 12], [13]], bos: 1, eos: 2)
            let w = anchor.withBatch(batch)
            #expect(w.answerSteps == 5 && w.batchSize == 2 && w.countedAnswerPositions == 7)  // 4 + eos, 1 + eos
            let logits = w.matrixProducts[w.matrixProducts.count - 3]
            #expect(logits.m == 7 && logits.n == 100)
            #expect(w.matrixProducts.map(\.flops).reduce(0, +) == w.flopsPerStep)
            #expect(anchor.countedAnswerPositions == 15 * 20)
        }

        /// With an adaptive softmax the head runs on every counted position and each tail cluster
        /// on the positions whose target is in it (targets 9, 10, 11, 12, 13 and <eos> twice, over
        /// cutoffs 5, 10 of 20 words: the two <eos> in the shortlist, 9 in the first cluster,
        /// 10–13 in the second), and a step trains.
        @Test func anAdaptiveSoftmaxsProductsRunOnItsClustersRows() {
            let w = BenchmarkWorkload(name: "adaptive", vocab: 20, embed: 6, hidden: 16, layers: 1, questionSteps: 3, answerSteps: 5,
                                      batch: 2, softmax: .adaptive, cutoffs: [5, 10])
                .withBatch(Seq2SeqBatch(questions: [[5, 6, 7], [8]], answers: [[9, 10, 11, 12], [13]], bos: 1, eos: 2))
            #expect(w.clusterRows == [1, 4])
            let output = w.outputProducts
            #expect(output.count == 3 + 2 * 6)
            #expect(output[0].m == 7 && output[0].n == 5 + 2 && output[0].k == 16)        // the head
            #expect(output[3].m == 1 && output[3].n == 4 && output[6].n == 5)             // cluster 0: 16 → 4 → 5 words
            #expect(output[9].m == 4 && output[9].n == 1 && output[12].n == 10)           // cluster 1: 16 → 1 → 10 words
            #expect(w.matrixProducts.map(\.flops).reduce(0, +) == w.flopsPerStep)
            let train = Benchmark.training(w, steps: 2, warmup: 1)
            #expect(train.tokensPerSecond > 0 && train.medianSeconds > 0)
        }

        /// A batch's encoder runs each question step's recurrent products on the rows with
        /// question tokens left (`LSTMLayer`), as the count does; the decoder on every row.
        @Test func aBatchsRecurrentProductsRunOnTheRowsWithTokensLeft() {
            let small = BenchmarkWorkload(name: "small", vocab: 20, embed: 6, hidden: 8, layers: 1, questionSteps: 4, answerSteps: 2, batch: 3)
            #expect(small.questionRowsPerStep == [3, 3, 3, 3])
            let batch = Seq2SeqBatch(questions: [[5, 6, 7], [8], [9, 10]], answers: [[9], [13], [11]], bos: 1, eos: 2)
            let w = small.withBatch(batch)
            #expect(w.questionRowsPerStep == [3, 3, 1])
            // h·W_hhᵀ ([rows, 8] by [8, 32]) and d h ([rows, 32] by [32, 8]): 3 question steps, then 2 answer steps.
            #expect(w.matrixProducts.filter { $0.transB && $0.k == 8 && $0.n == 32 }.map(\.m) == [3, 3, 1, 3, 3])
            #expect(w.matrixProducts.filter { !$0.transA && !$0.transB && $0.n == 8 && $0.k == 32 }.map(\.m) == [3, 3, 1, 3, 3])
            #expect(w.matrixProducts.map(\.flops).reduce(0, +) == w.flopsPerStep)
            let unsorted = small.withBatch(Seq2SeqBatch(questions: [[8], [5, 6, 7]], answers: [[9], [9]], bos: 1, eos: 2))
            #expect(unsorted.questionRowsPerStep == [2, 2, 2])
        }

        /// The floor times the recurrent products through lstmchat's packed kernel where the LSTM
        /// uses it (several steps of several rows), and writes C where the model writes it.
        @Test func theFloorRunsEachProductAsTheModelDoes() {
            let anchor = BenchmarkWorkload.named("anchor")!
            #expect(anchor.matrixProducts.filter(\.packed).count == 2 * (15 + 15))
            // Written, not added into: d h of every step (15 + 15), d input of both sides, the logits and d hidden.
            #expect(anchor.matrixProducts.filter { $0.beta == 0 }.count == (15 + 15) + 2 + 2)
            let oneRow = BenchmarkWorkload(name: "one row", vocab: 12, embed: 4, hidden: 5, layers: 1, questionSteps: 3, answerSteps: 4, batch: 1)
            #expect(oneRow.matrixProducts.allSatisfy { !$0.packed })
        }

        @Test func aTinyWorkloadTrainsAndGenerates() {
            let tiny = BenchmarkWorkload(name: "tiny", vocab: 12, embed: 4, hidden: 5, layers: 2, questionSteps: 3, answerSteps: 4, batch: 2)
            let train = Benchmark.training(tiny, steps: 3, warmup: 1)
            #expect(train.parameterCount == Seq2SeqModel(config: tiny.config).parameters.values.count)
            #expect(train.tokensPerSecond > 0 && train.tokensPerSecond.isFinite)
            #expect(train.minSeconds <= train.medianSeconds)
            let generate = Benchmark.generation(tiny, steps: 2, warmup: 0)
            #expect(generate.tokensPerAnswer == 20)
            #expect(generate.millisecondsPerAnswer > 0 && generate.millisecondsPerAnswer.isFinite)
            let products = Benchmark.matrixProductSeconds(tiny, repeats: 1)
            #expect(products > 0 && products.isFinite)
        }

        /// The corpus workload is the bundled model on `train`'s batches of the bundled corpus, and
        /// the peer gets exactly those rows.
        @Test func corpusWorkloadIsTheBundledModelOnTheCorpusBatches() throws {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("datasets/chatterbot-english").path
            let corpus = try CorpusWorkload.load(path)
            let c = corpus.workload.config
            #expect(c.embedSize == 64 && c.hiddenSize == 256 && c.layers == 1)
            #expect(corpus.batches.map(\.batchSize).reduce(0, +) > 2000)
            #expect(corpus.batches.allSatisfy { $0.batchSize <= 32 && $0.sourceSteps <= 60 && $0.targetSteps <= 61 })
            let json = try JSONSerialization.jsonObject(with: corpus.peerJSON()) as! [String: Any]
            let batches = json["batches"] as! [[String: [[Int]]]]
            #expect(batches.count == corpus.batches.count)
            let first = corpus.batches[0], rows = batches[0]
            #expect(rows["sources"]!.map(\.count) == first.sourceLengths.map { Int($0) })
            #expect(rows["targets"]!.map(\.count).reduce(0, +) == first.targetTokenCount)
            #expect(rows["decoder_inputs"]![0][0] == Int(Vocabulary.bos))
            #expect(rows["targets"]![0][rows["targets"]![0].count - 1] == Int(Vocabulary.eos))
            let train = Benchmark.training(corpus.workload, corpus: Array(corpus.batches.prefix(2)), steps: 1, warmup: 1, profile: true)
            #expect(train.tokensPerSecond > 0 && !train.profile.isEmpty)
        }

        @Test func medianOfEvenAndOddCounts() {
            #expect([3.0, 1, 2].median == 2)
            #expect([4.0, 1, 3, 2].median == 2.5)
        }
    }
}

extension BenchmarkWorkload: CustomTestStringConvertible {
    public var testDescription: String { name }
}
