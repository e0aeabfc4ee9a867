/// The farm's AMQP addresses (see ARCHITECTURE.md, "AMQP topology"). The
/// store addresses outbox messages to them; FarmBus declares them.
public enum BusNames {
    /// Direct exchange; routing key = architecture, or architecture.toolchain.
    public static let buildsExchange = "kfarm.builds"
    /// Topic exchange for stage, log, progress and result events.
    public static let eventsExchange = "kfarm.events"
    /// Topic exchange for cancel and drain commands.
    public static let controlExchange = "kfarm.control"
    /// Direct exchange for deployment orders; routing key = target system id.
    public static let deployExchange = "kfarm.deploy"
    /// Where messages go that cannot be handled.
    public static let deadExchange = "kfarm.dead"
    public static let deadQueue = "kfarm.dead"

    /// The server's recorder consumes every build's events from here.
    public static let recorderQueue = "kfarm.recorder"
    /// The routing pattern of build events on `eventsExchange`: each
    /// worker publishes under its own prefix, so the broker's topic
    /// permissions can hold it to its own keys.
    public static let buildEventsPattern = "worker.*.build.*.events"
    /// The routing pattern of cancel commands on `controlExchange`.
    public static let cancelPattern = "build.*.cancel"

    /// The routing keys a worker publishes its build events under.
    public static func workerEventsPrefix(_ workerID: String) -> String { "worker.\(workerID)." }

    /// A worker's own queue of control commands; it expires when the worker is gone.
    public static func workerControlQueue(_ workerID: String) -> String { "kfarm.control.worker.\(workerID)" }

    /// The priority queue of `architecture`'s builds for `toolchain` (e.g.
    /// `clang-16.0.6`), or of those that name no compiler (nil).
    public static func buildQueue(_ architecture: Architecture, toolchain: String? = nil) -> String {
        "kfarm.builds." + buildRoutingKey(architecture, toolchain: toolchain)
    }

    /// `x86_64`, or `x86_64.clang-16.0.6`.
    public static func buildRoutingKey(_ architecture: Architecture, toolchain: String?) -> String {
        toolchain.map { "\(architecture.rawValue).\($0)" } ?? architecture.rawValue
    }

    /// A target system's own queue of deployment orders. Durable and never
    /// expiring: orders wait while the agent restarts.
    public static func systemDeployQueue(_ systemID: String) -> String { "kfarm.deploy.system.\(systemID)" }
}
