/// Why a checkpoint file could not be read or written: one line naming the file.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String

    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
