import Foundation

/// A program to run with its arguments, looked up on PATH like a shell does,
/// with extra environment variables on top of the worker's own (or, when it
/// must not see the worker's, such as its token, with only those).
public struct Command: Sendable, Equatable, CustomStringConvertible {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var inheritsEnvironment: Bool

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                inheritsEnvironment: Bool = true) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.inheritsEnvironment = inheritsEnvironment
    }

    public var description: String { ([executable] + arguments).joined(separator: " ") }

    /// Whether a program named `name` is on this process's PATH.
    public static func isInstalled(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
        }
    }
}
