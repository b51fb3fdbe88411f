import Testing
@testable import LSTMChat

@Test func placeholderBuilds() { #expect(ModelConfig(vocabSize: 4, embedSize: 2, hiddenSize: 3, layers: 1).seq2seqLayout.count > 0) }
