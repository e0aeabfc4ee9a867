/// What goes wrong in a machine (build worker or deployment agent), apart from the work it runs.
public enum MachineError: Error, CustomStringConvertible {
    /// A toolchain file, the source tree or an option is unusable.
    case configuration(String)
    /// A command could not be started.
    case launch(String)
    /// A downloaded artifact is not what the farm signed.
    case verification(String)

    public var description: String {
        switch self {
        case .configuration(let text): "configuration: \(text)"
        case .launch(let text): "cannot start \(text)"
        case .verification(let text): "verification failed: \(text)"
        }
    }
}
