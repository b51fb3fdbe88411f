/// A request that cannot be carried out (a command, a slash command in chat, a flag that does
/// not apply to a task): `description` says why, in one line.
public struct CommandFailure: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
