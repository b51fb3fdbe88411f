import Testing
@testable import LSTMChat

@Suite struct ConfidenceReportTests {
    /// The model's threshold and the one chosen again from batched answers may differ in the last
    /// bits; the trade-off table shows them once.
    @Test func thresholdsThatPrintAlikeAreOneRow() {
        let rows = ConfidenceReport.thresholds(adding: [0.22494296, 0.22494295, nil, 0.1])
        #expect(rows.map(ConfidenceReport.number) == ["0", "0.01", "0.02", "0.03", "0.05", "0.08", "0.1", "0.15", "0.2", "0.225", "0.3", "0.5"])
        #expect(rows == rows.sorted())
    }
}
