import Foundation

/// The safetensors format (https://huggingface.co/docs/safetensors), float32 and int8 tensors:
///
///     8 bytes   N, the header length, unsigned little-endian
///     N bytes   a JSON object: name → {"dtype": "F32"|"I8", "shape": [...], "data_offsets": [begin, end]},
///               and optionally "__metadata__": {string: string}; padded with spaces
///     the rest  the tensors' bytes, little-endian, offsets relative to here, with no gaps
///
/// The reader trusts nothing in a file: every length, offset and shape is checked against the
/// others and against the file's size before anything is allocated or read.
public enum SafetensorsFile {
    /// The element types lstmchat reads and writes.
    public enum DType: String, Sendable {
        case f32 = "F32", i8 = "I8"
        var bytes: Int { self == .f32 ? 4 : 1 }
    }

    public struct Tensor: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var dtype: DType
        /// The elements of an F32 tensor (empty for I8).
        public var values: [Float]
        /// The elements of an I8 tensor (empty for F32).
        public var int8: [Int8]

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.dtype = .f32
            self.values = values
            self.int8 = []
        }

        public init(name: String, shape: [Int], int8: [Int8]) {
            self.name = name
            self.shape = shape
            self.dtype = .i8
            self.values = []
            self.int8 = int8
        }

        var count: Int { dtype == .f32 ? values.count : int8.count }
    }

    /// Headers above this are refused (real ones are a few kB, or a few MB with a vocabulary).
    public static let maxHeaderBytes = 100 << 20

    /// The file's bytes for these tensors (in this order) and metadata.
    public static func encode(_ tensors: [Tensor], metadata: [String: String]) -> Data {
        var data = header(tensors.map(\.shape), tensors.map(\.name), tensors.map(\.dtype), metadata: metadata)
        for t in tensors { write(t) { data.append(contentsOf: $0) } }
        return data
    }

    /// The length and the JSON header of a file of tensors with these names, shapes and types (in
    /// this order): what comes before their bytes.
    static func header(_ shapes: [[Int]], _ names: [String], _ dtypes: [DType], metadata: [String: String]) -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (shape, (name, dtype)) in zip(shapes, zip(names, dtypes)) {
            let bytes = dtype.bytes * shape.reduce(1, *)
            header[name] = ["dtype": dtype.rawValue, "shape": shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad so the tensor bytes start 8-byte aligned, as the reference implementation does.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data(capacity: 8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        return data
    }

    /// Hands a tensor's bytes to `write`.
    static func write(_ t: Tensor, to write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        precondition(t.shape.reduce(1, *) == t.count, "\(t.name): shape and values disagree")
        if t.dtype == .i8 { return try t.int8.withUnsafeBytes(write) }
        try t.values.withUnsafeBufferPointer { try floats($0, to: write) }
    }

    /// Hands float32 values' bytes, little-endian, to `write`.
    static func floats(_ values: UnsafeBufferPointer<Float>, to write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        // On little-endian machines, the values' own bytes (a training state is tens of MB,
        // written after every epoch: no copy on the way).
        #if _endian(little)
        try write(UnsafeRawBufferPointer(values))
        #else
        try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes(write)
        #endif
    }

    /// Writes the tensors straight from their arrays (no copy of the whole file in memory), atomically.
    public static func write(_ tensors: [Tensor], metadata: [String: String], to url: URL) throws {
        for t in tensors { precondition(t.shape.reduce(1, *) == t.count, "\(t.name): shape and values disagree") }
        let head = header(tensors.map(\.shape), tensors.map(\.name), tensors.map(\.dtype), metadata: metadata)
        try AtomicFile.write(to: url) { write in
            try head.withUnsafeBytes(write)
            for t in tensors { try Self.write(t, to: write) }
        }
    }

    /// Reads and checks a file; tensors come back in the order of their bytes. A tensor of a
    /// type not in `types` is refused.
    public static func read(_ url: URL, types: Set<DType> = [.f32]) throws -> (tensors: [Tensor], metadata: [String: String]) {
        let data: Data
        do {
            // Through a file handle, as `TextFile` reads: Data(contentsOf:) leaks 4 KB on every
            // empty file (found by `make fuzz`) and refuses pipes (`chat --checkpoint <(...)`).
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.readToEnd() ?? Data()
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw CheckpointError(url.path, exists ? "cannot read the file" : "no such file")
        }
        return try decode(data, file: url.path, types: types)
    }

    public static func decode(_ data: Data, file: String, types: Set<DType> = [.f32]) throws -> (tensors: [Tensor], metadata: [String: String]) {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file, problem) }
        guard data.count >= 8 else { throw fail("not a safetensors file (\(data.count) bytes, too short for a header)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("not a safetensors file (header length \(headerLength) is beyond the file's \(data.count) bytes)")
        }
        guard headerLength <= UInt64(maxHeaderBytes) else { throw fail("header of \(headerLength) bytes is too large") }
        let headerEnd = 8 + Int(headerLength)
        let headerBytes = data.subdata(in: 8..<headerEnd)
        guard let object = try? JSONSerialization.jsonObject(with: headerBytes), let header = object as? [String: Any] else {
            throw fail("not a safetensors file (the header is not a JSON object)")
        }
        let dataSize = data.count - headerEnd

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let m = raw as? [String: Any] else { throw fail("__metadata__ is not an object") }
            for (key, value) in m {
                guard let s = value as? String else { throw fail("__metadata__ entry \(key) is not a string") }
                metadata[key] = s
            }
        }

        struct Entry { let name: String; let shape: [Int]; let dtype: DType; let begin: Int; let end: Int }
        var entries: [Entry] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let info = raw as? [String: Any] else { throw fail("tensor \(name): not an object") }
            guard let dtype = info["dtype"] as? String else { throw fail("tensor \(name): no dtype") }
            guard let type = DType(rawValue: dtype), types.contains(type) else {
                throw fail("tensor \(name): unsupported dtype \(dtype) (lstmchat reads \(types.map(\.rawValue).sorted().joined(separator: " and ")))")
            }
            guard let shape = integers(info["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor \(name): shape is not a list of non-negative integers")
            }
            guard let offsets = integers(info["data_offsets"]), offsets.count == 2 else {
                throw fail("tensor \(name): data_offsets is not a pair of integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard 0 <= begin, begin <= end, end <= dataSize else {
                throw fail("tensor \(name): data_offsets [\(begin), \(end)] outside the \(dataSize) data bytes")
            }
            var bytes = type.bytes, overflow = false
            for d in shape where !overflow { (bytes, overflow) = bytes.multipliedReportingOverflow(by: d) }
            guard !overflow, bytes == end - begin else {
                throw fail("tensor \(name): shape \(shape) needs \(overflow ? "too many" : String(bytes)) bytes, data_offsets give \(end - begin)")
            }
            entries.append(Entry(name: name, shape: shape, dtype: type, begin: begin, end: end))
        }
        // The tensors must tile the data exactly: no overlaps, no holes, nothing after the last.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        for e in entries {
            guard e.begin == position else {
                throw fail(e.begin < position ? "tensor \(e.name) overlaps another" : "a gap of \(e.begin - position) bytes before tensor \(e.name)")
            }
            position = e.end
        }
        guard position == dataSize else { throw fail("\(dataSize - position) bytes after the last tensor") }

        let tensors = data.withUnsafeBytes { raw -> [Tensor] in
            entries.map { e in
                let base = raw.baseAddress! + headerEnd + e.begin
                if e.dtype == .i8 {
                    return Tensor(name: e.name, shape: e.shape, int8: Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Int8.self), count: e.end - e.begin)))
                }
                let count = (e.end - e.begin) / 4
                let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    if count > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: 4 * count) }
                    for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
                    initialized = count
                }
                return Tensor(name: e.name, shape: e.shape, values: values)
            }
        }
        return (tensors, metadata)
    }

    /// A JSON array of integers (JSONSerialization gives numbers as NSNumber; fractions are refused).
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for element in array {
            guard let n = element as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            result.append(Int(d))
        }
        return result
    }
}
