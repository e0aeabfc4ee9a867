/// What stops a deployment agent or one of its orders.
public enum AgentError: Error, CustomStringConvertible, Sendable {
    /// The agent cannot start: a bad option, an unknown system, a token the API refuses.
    case configuration(String)
    /// Unpacking or switching failed.
    case install(String)

    public var description: String {
        switch self {
        case .configuration(let why): "configuration: \(why)"
        case .install(let why): "install failed: \(why)"
        }
    }
}
