/// A question RabbitMQ's HTTP auth backend asks about a logged-in machine.
public enum BrokerQuestion: Sendable, Equatable {
    public enum Permission: String, Sendable {
        case configure, write, read
    }

    /// May it use this virtual host?
    case vhost(String)
    /// May it configure, write to or read from this queue (`isQueue`) or exchange?
    case resource(isQueue: Bool, name: String, Permission)
    /// May it publish to (`write`) or bind from (`read`) this topic exchange with this routing key?
    case topic(exchange: String, Permission, routingKey: String)
}

/// What each machine may do on the broker: least privilege, decided here
/// once. A worker reads the build queues of the architectures and the
/// toolchains it registered (the farm declares and binds them) and its own
/// control queue (which it declares and binds to
/// the control exchange: it expires when the worker is gone), and
/// publishes its build events under routing keys of its own,
/// `worker.<id>.…`; it can bind nothing to the build, deploy or events
/// exchanges, so it can route no one else's messages to itself. An agent
/// reads its system's order queue (the farm declares it) and nothing else.
public enum BrokerGrant {
    public static let virtualHost = "/"

    public static func allows(_ machine: BrokerMachine, _ question: BrokerQuestion) -> Bool {
        switch (machine, question) {
        case (_, .vhost(let name)):
            return name == virtualHost
        case (.worker(let id, let architectures, let toolchains), .resource(true, let queue, let permission)):
            if queue == BusNames.workerControlQueue(id.lowercased) { return true }
            return permission == .read && (architectures.contains { BusNames.buildQueue($0) == queue }
                || toolchains.contains { BusNames.buildQueue($0.architecture, toolchain: $0.compiler) == queue })
        case (.worker, .resource(false, let exchange, let permission)):
            return (exchange == BusNames.eventsExchange && permission == .write)
                || (exchange == BusNames.controlExchange && permission == .read)
        case (.worker(let id, _, _), .topic(let exchange, let permission, let routingKey)):
            return (exchange == BusNames.eventsExchange && permission == .write
                    && routingKey.hasPrefix(BusNames.workerEventsPrefix(id.lowercased)))
                || (exchange == BusNames.controlExchange && permission == .read && routingKey == BusNames.cancelPattern)
        case (.agent(let systemID), .resource(true, let queue, let permission)):
            return permission == .read && queue == BusNames.systemDeployQueue(systemID.lowercased)
        case (.agent, _):
            return false
        }
    }
}
