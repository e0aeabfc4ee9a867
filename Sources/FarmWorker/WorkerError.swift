/// What goes wrong in a worker, apart from the builds it runs.
public enum WorkerError: Error, CustomStringConvertible {
    /// A toolchain file, the source tree or an option is unusable.
    case configuration(String)
    /// The API refused or could not be reached.
    case api(status: Int, String)
    /// A command could not be started.
    case launch(String)

    public var description: String {
        switch self {
        case .configuration(let text): "configuration: \(text)"
        case .api(let status, let text): "API \(status): \(text)"
        case .launch(let text): "cannot start \(text)"
        }
    }
}
