import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The safetensors format (https://huggingface.co/docs/safetensors), float32, int8 and int32 tensors:
///
///     8 bytes   N, the header length, unsigned little-endian
///     N bytes   a JSON object: name → {"dtype": "F32"|"I8"|"I32", "shape": [...], "data_offsets": [begin, end]},
///               and optionally "__metadata__": {string: string}; padded with spaces
///     the rest  the tensors' bytes, little-endian, offsets relative to here, with no gaps
///
/// The reader trusts nothing in a file: every length, offset and shape is checked against the
/// others and against the file's size before anything is allocated or read.
public enum SafetensorsFile {
    /// The element types lstmchat reads and writes.
    public enum DType: String, Sendable {
        case f32 = "F32", i8 = "I8", i32 = "I32"
        var bytes: Int { self == .i8 ? 1 : 4 }
    }

    public struct Tensor: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var dtype: DType
        /// The elements of an F32 tensor (empty for the others).
        public var values: [Float] = []
        /// The elements of an I8 tensor (empty for the others).
        public var int8: [Int8] = []
        /// The elements of an I32 tensor (empty for the others).
        public var int32: [Int32] = []

        public init(name: String, shape: [Int], values: [Float]) {
            (self.name, self.shape, dtype, self.values) = (name, shape, .f32, values)
        }

        public init(name: String, shape: [Int], int8: [Int8]) {
            (self.name, self.shape, dtype, self.int8) = (name, shape, .i8, int8)
        }

        public init(name: String, shape: [Int], int32: [Int32]) {
            (self.name, self.shape, dtype, self.int32) = (name, shape, .i32, int32)
        }

        var count: Int {
            switch dtype {
            case .f32: values.count
            case .i8: int8.count
            case .i32: int32.count
            }
        }
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
        switch t.dtype {
        case .i8: try t.int8.withUnsafeBytes(write)
        case .i32: try t.int32.withUnsafeBufferPointer { try int32s($0, to: write) }
        case .f32: try t.values.withUnsafeBufferPointer { try floats($0, to: write) }
        }
    }

    /// Hands int32 values' bytes, little-endian, to `write`.
    static func int32s(_ values: UnsafeBufferPointer<Int32>, to write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        #if _endian(little)
        try write(UnsafeRawBufferPointer(values))
        #else
        try values.map { $0.littleEndian }.withUnsafeBytes(write)
        #endif
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

    /// A tensor to be written: its bytes, little-endian, handed out in pieces by `bytes`, from
    /// wherever they are (a model's buffer, a list of token lists), never gathered into one array.
    public struct Output {
        public var name: String
        public var shape: [Int]
        public var dtype: DType
        let bytes: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void

        public init(name: String, shape: [Int], dtype: DType, bytes: @escaping ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) {
            (self.name, self.shape, self.dtype, self.bytes) = (name, shape, dtype, bytes)
        }

        public init(_ t: Tensor) {
            precondition(t.shape.reduce(1, *) == t.count, "\(t.name): shape and values disagree")
            self.init(name: t.name, shape: t.shape, dtype: t.dtype) { try SafetensorsFile.write(t, to: $0) }
        }

        /// Float32 values that stay where they are until the write ends.
        public static func floats(_ name: String, shape: [Int], _ values: UnsafeBufferPointer<Float>) -> Output {
            precondition(shape.reduce(1, *) == values.count, "\(name): shape and values disagree")
            return Output(name: name, shape: shape, dtype: .f32) { try SafetensorsFile.floats(values, to: $0) }
        }
    }

    /// Writes the tensors straight from their arrays (no copy of the whole file in memory), atomically.
    public static func write(_ tensors: [Tensor], metadata: [String: String], to url: URL) throws {
        try write(tensors.map(Output.init), metadata: metadata, to: url)
    }

    /// Writes the tensors, each from where its bytes are, atomically.
    public static func write(_ outputs: [Output], metadata: [String: String], to url: URL) throws {
        let head = header(outputs.map(\.shape), outputs.map(\.name), outputs.map(\.dtype), metadata: metadata)
        try AtomicFile.write(to: url) { write in
            try head.withUnsafeBytes(write)
            for o in outputs {
                // A producer that hands out more or fewer bytes than its shape says would make a
                // file whose offsets lie: count them.
                var written = 0
                try o.bytes { written += $0.count; try write($0) }
                precondition(written == o.dtype.bytes * o.shape.reduce(1, *), "\(o.name): \(written) bytes written for shape \(o.shape)")
            }
        }
    }

    /// Reads and checks a file; tensors come back in the order of their bytes. A tensor of a
    /// type not in `types` is refused.
    public static func read(_ url: URL, types: Set<DType> = [.f32]) throws -> (tensors: [Tensor], metadata: [String: String]) {
        try open(url, types: types) { file in (try file.entries.map(file.tensor), file.metadata) }
    }

    public static func decode(_ data: Data, file: String, types: Set<DType> = [.f32]) throws -> (tensors: [Tensor], metadata: [String: String]) {
        let file = try Contents(data, file: file, types: types)
        return (try file.entries.map(file.tensor), file.metadata)
    }

    /// Opens a file, reads and checks its header, and gives `body` its contents: the metadata and
    /// the tensors' places, each tensor read when asked for, straight into where it goes. A
    /// regular file is read in place (a model of 9 million parameters is never in memory twice);
    /// anything else (a pipe: `chat --checkpoint <(...)`) is read whole first.
    public static func open<R>(_ url: URL, types: Set<DType> = [.f32], _ body: (Contents) throws -> R) throws -> R {
        let fd = Glibc.open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw CheckpointError(url.path, exists ? "cannot read the file" : "no such file")
        }
        defer { close(fd) }
        var info = stat()
        let source: Contents.Source
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            source = .file(fd, size: Int(info.st_size))
        } else {
            // Through a file handle, as `TextFile` reads: Data(contentsOf:) leaks 4 KB on every
            // empty file (found by `make fuzz`) and refuses pipes.
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
            guard let data = try? handle.readToEnd() ?? Data() else { throw CheckpointError(url.path, "cannot read the file") }
            source = .memory(data)
        }
        return try body(Contents(source: source, file: url.path, types: types))
    }

    /// A file whose header has been read and checked against its size: the metadata, and where
    /// each tensor is.
    public struct Contents {
        enum Source {
            case file(Int32, size: Int)
            case memory(Data)
            var size: Int {
                switch self {
                case let .file(_, size): size
                case let .memory(data): data.count
                }
            }

            /// Copies the bytes from `offset` on into `destination` (which the caller has checked
            /// lie inside); `what` names them in the error of a failed read.
            func copy(from offset: Int, into destination: UnsafeMutableRawBufferPointer, what: String, file: String) throws {
                guard destination.count > 0 else { return }
                switch self {
                case let .memory(data):
                    data.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + destination.count)])) }
                case let .file(fd, _):
                    var done = 0
                    while done < destination.count {
                        let n = pread(fd, destination.baseAddress! + done, destination.count - done, off_t(offset + done))
                        if n < 0, errno == EINTR { continue }
                        guard n > 0 else { throw CheckpointError(file, "cannot read \(what): \(n < 0 ? String(cString: strerror(errno)) : "the file was cut short")") }
                        done += n
                    }
                }
            }
        }

        public struct Entry {
            public let name: String
            public let shape: [Int]
            public let dtype: DType
            let begin: Int, end: Int
            public var count: Int { (end - begin) / dtype.bytes }
        }

        let source: Source
        let file: String
        let dataStart: Int
        public let metadata: [String: String]
        /// The tensors in the order of their bytes.
        public let entries: [Entry]
        private let byName: [String: Int]

        public func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }

        /// Bytes in memory, read as a file named `file`.
        public init(_ data: Data, file: String, types: Set<DType>) throws {
            try self.init(source: .memory(data), file: file, types: types)
        }

        /// Copies a tensor's bytes to `destination` (exactly its size), in the machine's byte order.
        public func read(_ e: Entry, into destination: UnsafeMutableRawBufferPointer) throws {
            precondition(destination.count == e.end - e.begin, "\(e.name): \(destination.count) bytes for \(e.end - e.begin)")
            try source.copy(from: dataStart + e.begin, into: destination, what: "tensor \(e.name)", file: file)
            #if !_endian(little)
            switch e.dtype {
            case .i8: break
            case .f32, .i32:
                let words = destination.bindMemory(to: UInt32.self)
                for i in words.indices { words[i] = UInt32(littleEndian: words[i]) }
            }
            #endif
        }

        /// A tensor's elements as an array of `T` (Float for F32, Int8 for I8, Int32 for I32).
        public func values<T>(_ e: Entry, as _: T.Type) throws -> [T] {
            precondition(MemoryLayout<T>.stride == e.dtype.bytes, "\(e.name) is \(e.dtype.rawValue)")
            return try [T](unsafeUninitializedCapacity: e.count) { buffer, initialized in
                try read(e, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = e.count
            }
        }

        func tensor(_ e: Entry) throws -> Tensor {
            switch e.dtype {
            case .f32: Tensor(name: e.name, shape: e.shape, values: try values(e, as: Float.self))
            case .i8: Tensor(name: e.name, shape: e.shape, int8: try values(e, as: Int8.self))
            case .i32: Tensor(name: e.name, shape: e.shape, int32: try values(e, as: Int32.self))
            }
        }

        init(source: Source, file: String, types: Set<DType>) throws {
            self.source = source
            self.file = file
            func fail(_ problem: String) -> CheckpointError { CheckpointError(file, problem) }
            let size = source.size
            guard size >= 8 else { throw fail("not a safetensors file (\(size) bytes, too short for a header)") }
            var lengthBytes = [UInt8](repeating: 0, count: 8)
            try lengthBytes.withUnsafeMutableBytes { try source.copy(from: 0, into: $0, what: "the header", file: file) }
            let headerLength = lengthBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            guard headerLength <= UInt64(size - 8) else {
                throw fail("not a safetensors file (header length \(headerLength) is beyond the file's \(size) bytes)")
            }
            guard headerLength <= UInt64(maxHeaderBytes) else { throw fail("header of \(headerLength) bytes is too large") }
            var headerBytes = [UInt8](repeating: 0, count: Int(headerLength))
            try headerBytes.withUnsafeMutableBytes { try source.copy(from: 8, into: $0, what: "the header", file: file) }
            guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)), let header = object as? [String: Any] else {
                throw fail("not a safetensors file (the header is not a JSON object)")
            }
            dataStart = 8 + Int(headerLength)
            let dataSize = size - dataStart

            var metadata: [String: String] = [:]
            if let raw = header["__metadata__"] {
                guard let m = raw as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (key, value) in m {
                    guard let s = value as? String else { throw fail("__metadata__ entry \(key) is not a string") }
                    metadata[key] = s
                }
            }
            self.metadata = metadata

            var entries: [Entry] = []
            for (name, raw) in header where name != "__metadata__" {
                guard let info = raw as? [String: Any] else { throw fail("tensor \(name): not an object") }
                guard let dtype = info["dtype"] as? String else { throw fail("tensor \(name): no dtype") }
                guard let type = DType(rawValue: dtype), types.contains(type) else {
                    let names = types.map(\.rawValue).sorted()
                    let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + names.last! : names.joined()
                    throw fail("tensor \(name): unsupported dtype \(dtype) (lstmchat reads \(list))")
                }
                guard let shape = SafetensorsFile.integers(info["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                    throw fail("tensor \(name): shape is not a list of non-negative integers")
                }
                guard let offsets = SafetensorsFile.integers(info["data_offsets"]), offsets.count == 2 else {
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
            self.entries = entries
            byName = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        }

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
