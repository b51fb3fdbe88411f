/// The batches of one epoch, each made when it is taken: an epoch of 500,000 pairs is some
/// 15,000 batches, and made all at once their padded matrices would take several times the
/// memory of the pairs themselves. Taking batch i twice makes it twice, the same both times.
public struct EpochBatches<Batch>: RandomAccessCollection {
    public let count: Int
    private let make: (Int) -> Batch

    public init(count: Int, make: @escaping (Int) -> Batch) {
        precondition(count >= 0)
        self.count = count
        self.make = make
    }

    /// Batches made already (the tasks whose data is small).
    public init(_ batches: [Batch]) {
        self.init(count: batches.count) { batches[$0] }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(i: Int) -> Batch {
        precondition(i >= 0 && i < count, "batch \(i) of \(count)")
        return make(i)
    }
}
