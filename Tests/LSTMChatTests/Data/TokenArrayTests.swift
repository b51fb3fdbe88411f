import Testing
@testable import LSTMChat

@Suite struct TokenArrayTests {
    static let ids: [Int32] = [0, 1, 4, 65_535, 300, 7]

    @Test func narrowedInPlaceReadsAsTheWideIds() {
        var wide = Self.ids
        let narrow = wide.withUnsafeMutableBytes { bytes -> [Int32] in
            TokenArray.narrowInPlace(bytes.baseAddress!, count: Self.ids.count)
            return Array(TokenArray(base: bytes.baseAddress!, count: Self.ids.count, width: 2))
        }
        #expect(narrow == Self.ids)
        // The two-byte ids are the first half of the memory.
        #expect(wide.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self).prefix(Self.ids.count)) } == Self.ids.map { UInt16($0) })
    }

    @Test(arguments: [2, 4])
    func rangesReadAsInt32sInEitherWidth(width: Int) {
        let narrow = Self.ids.map { UInt16($0) }
        let tokens = { (body: (TokenArray) -> Void) in
            if width == 2 { narrow.withUnsafeBufferPointer { body(TokenArray($0)) } } else { Self.ids.withUnsafeBufferPointer { body(TokenArray($0)) } }
        }
        tokens { array in
            #expect(array.width == width && array.bytes.count == width * Self.ids.count)
            #expect(Array(array) == Self.ids)
            #expect(array.withInt32s(2..<5) { Array($0) } == Array(Self.ids[2..<5]))
            #expect(array.withInt32s(3..<3) { $0.count } == 0)
            // A list hashes and compares the same stored in two bytes or four.
            #expect(ListIndex.hash(array[1..<4]) == ListIndex.hash(Self.ids[1..<4]))
            #expect(array[1..<4].elementsEqual(Self.ids[1..<4]))
        }
    }
}
