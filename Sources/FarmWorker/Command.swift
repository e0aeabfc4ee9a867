import Foundation

/// A program to run with its arguments, looked up on PATH like a shell does,
/// with extra environment variables on top of the worker's own.
public struct Command: Sendable, Equatable, CustomStringConvertible {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    public var description: String { ([executable] + arguments).joined(separator: " ") }
}
