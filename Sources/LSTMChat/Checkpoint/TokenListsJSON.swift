/// A list of token-id lists as JSON (`[[5, 17], [9]]`): the known questions in the metadata of
/// checkpoints written before they were tensors (`CheckpointFile`). Read by hand, not by
/// JSONDecoder: a model trained on 500,000 pairs knows as many questions (20 MB of JSON), which
/// Foundation's decoder took seconds and hundreds of MB to go through; this is one pass over bytes.
enum TokenListsJSON {
    /// The lists, or nil when `text` is not a JSON array of arrays of integers that fit in Int32
    /// (whitespace between tokens allowed, as Python's `json.dumps` writes it).
    static func decode(_ text: String) -> [[Int32]]? {
        var text = text
        return text.withUTF8 { bytes -> [[Int32]]? in
            var i = 0
            func skipSpace() { while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 } }
            func take(_ byte: Character) -> Bool {
                skipSpace()
                guard i < bytes.count, bytes[i] == byte.asciiValue! else { return false }
                i += 1
                return true
            }
            func number() -> Int32? {
                skipSpace()
                let negative = i < bytes.count && bytes[i] == UInt8(ascii: "-")
                if negative { i += 1 }
                var value: Int64 = 0, digits = 0
                while i < bytes.count, (0x30...0x39).contains(bytes[i]), digits < 11 {
                    value = value * 10 + Int64(bytes[i] - 0x30)
                    i += 1
                    digits += 1
                }
                guard digits > 0 else { return nil }
                return Int32(exactly: negative ? -value : value)
            }
            // A list of `element`s between brackets, separated by commas.
            func list<T>(_ element: () -> T?) -> [T]? {
                guard take("[") else { return nil }
                var items: [T] = []
                if take("]") { return items }
                repeat {
                    guard let item = element() else { return nil }
                    items.append(item)
                } while take(",")
                return take("]") ? items : nil
            }
            guard let lists = list({ list(number) }) else { return nil }
            skipSpace()
            return i == bytes.count ? lists : nil
        }
    }
}
