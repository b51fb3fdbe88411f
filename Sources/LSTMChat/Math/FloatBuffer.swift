#if canImport(Glibc)
import Glibc
#endif

/// A zero-initialised heap array of Float32 with a stable address, for parameters,
/// gradients and workspaces. Hot loops take `pointer`; everything else may use `array`.
public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        // calloc: a large buffer's pages are the system's zero pages until written, so buffers
        // that stay zero (a loaded model's gradients) cost no memory.
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else { fatalError("out of memory for \(count) floats") }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func zero() { pointer.update(repeating: 0, count: count) }
}

/// A workspace that grows to the largest size asked of it and is reused after that:
/// the first batch of a given shape allocates, every later step does not.
struct Workspace {
    private(set) var storage = FloatBuffer(count: 0)

    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if storage.count < count { storage = FloatBuffer(count: count) }
        return storage.pointer
    }

    var pointer: UnsafeMutablePointer<Float> { storage.pointer }
}
