extension Xoshiro256 {
    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject: no modulo bias). Written
    /// here rather than using `Int.random(in:using:)` so that the numbers drawn from a seed cannot
    /// change with the standard library.
    mutating func index(below bound: Int) -> Int {
        precondition(bound > 0)
        let bound = UInt64(bound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }
}

extension Array {
    /// Fisher–Yates with `Xoshiro256.index(below:)`: the same order from the same generator state
    /// on every platform and Swift version (the standard `shuffle(using:)` promises neither).
    mutating func deterministicShuffle(using generator: inout Xoshiro256) {
        guard count > 1 else { return }
        for i in stride(from: count - 1, to: 0, by: -1) {
            swapAt(i, generator.index(below: i + 1))
        }
    }
}

extension Collection {
    /// The elements ordered by `key`, ties in their order here: a total order, so the same on
    /// every platform and Swift version (the standard `sorted` does not promise stability).
    func stablySorted<Key: Comparable>(by key: (Element) -> Key) -> [Element] {
        enumerated().sorted { (key($0.element), $0.offset) < (key($1.element), $1.offset) }.map(\.element)
    }
}

/// Splits `items` into a training and a validation set: a seeded shuffle picks
/// `fraction` of them (rounded, at least 1 when `fraction > 0` and there are 2 or more items,
/// and never all of them) for validation. Both sets keep the items' original order.
public func splitForValidation<T>(_ items: [T], fraction: Double, seed: UInt64) -> (train: [T], validation: [T]) {
    let isValidation = validationShare(count: items.count, fraction: fraction, seed: seed)
    var train: [T] = [], validation: [T] = []
    for (index, item) in items.enumerated() {
        if isValidation[index] { validation.append(item) } else { train.append(item) }
    }
    return (train, validation)
}

/// Which of `count` items `splitForValidation` holds out: true for the validation set.
public func validationShare(count: Int, fraction: Double, seed: UInt64) -> [Bool] {
    precondition(fraction >= 0 && fraction < 1, "the validation fraction is in [0, 1)")
    var isValidation = [Bool](repeating: false, count: count)
    guard fraction > 0, count >= 2 else { return isValidation }
    let validationCount = Swift.min(count - 1, Swift.max(1, Int((Double(count) * fraction).rounded())))
    var generator = Xoshiro256(seed: seed)
    var order = Array(0..<count)
    order.deterministicShuffle(using: &generator)
    for index in order.prefix(validationCount) { isValidation[index] = true }
    return isValidation
}
