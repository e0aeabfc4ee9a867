import AMQP
import FarmModel

/// Declares the farm's exchanges and queues; idempotent, so every process
/// that talks to the broker declares what it uses on (re)connect.
public enum BusTopology {
    public static func declare(on connection: AMQPConnection) async throws {
        try await connection.declareExchange(BusNames.deadExchange, type: "fanout")
        try await connection.declareQueue(BusNames.deadQueue)
        try await connection.bindQueue(BusNames.deadQueue, to: BusNames.deadExchange, routingKey: "")
        try await connection.declareExchange(BusNames.buildsExchange, type: "direct")
        try await connection.declareExchange(BusNames.eventsExchange, type: "topic")
        try await connection.declareExchange(BusNames.controlExchange, type: "topic")
        try await connection.declareExchange(BusNames.deployExchange, type: "direct")
        for architecture in Architecture.allCases {
            try await declareBuildQueue(architecture, toolchain: nil, on: connection)
        }
        try await connection.declareQueue(BusNames.recorderQueue, arguments: [
            "x-dead-letter-exchange": .string(BusNames.deadExchange),
        ])
        try await connection.bindQueue(BusNames.recorderQueue, to: BusNames.eventsExchange,
                                       routingKey: BusNames.buildEventsPattern)
    }

    /// Declares the priority queue of `architecture`'s builds for
    /// `toolchain` (nil: those that name no compiler) and binds it to the
    /// builds exchange. The farm declares them all (workers may only read).
    public static func declareBuildQueue(_ architecture: Architecture, toolchain: String?,
                                         on connection: AMQPConnection) async throws {
        let queue = BusNames.buildQueue(architecture, toolchain: toolchain)
        // Classic queues: RabbitMQ 3.10's quorum queues have no priorities.
        try await connection.declareQueue(queue, arguments: [
            "x-max-priority": .int(BuildPriority.maxAMQPPriority),
            "x-dead-letter-exchange": .string(BusNames.deadExchange),
        ])
        try await connection.bindQueue(queue, to: BusNames.buildsExchange,
                                       routingKey: BusNames.buildRoutingKey(architecture, toolchain: toolchain))
    }

    /// One cheap round trip that fails when the broker is gone: a session
    /// that may sit idle (the relay, with nothing to send) learns of it.
    public static func probe(on connection: AMQPConnection) async throws {
        try await connection.declareExchange(BusNames.deadExchange, type: "fanout")
    }

    /// Declares a worker's control queue, bound to every cancel command
    /// (the worker keeps those for the builds it runs). Durable, so commands
    /// survive a broker restart, and expiring a minute after the worker
    /// stops consuming it.
    public static func declareControlQueue(forWorker workerID: String, on connection: AMQPConnection) async throws {
        let queue = BusNames.workerControlQueue(workerID)
        try await connection.declareQueue(queue, arguments: ["x-expires": .int(60_000)])
        try await connection.bindQueue(queue, to: BusNames.controlExchange, routingKey: BusNames.cancelPattern)
    }

    /// Declares a target system's order queue, bound to its id on the
    /// deploy exchange; durable and without expiry, so orders sent while
    /// the agent restarts are there when it is back.
    public static func declareDeployQueue(forSystem systemID: String, on connection: AMQPConnection) async throws {
        try await connection.declareExchange(BusNames.deployExchange, type: "direct")
        let queue = BusNames.systemDeployQueue(systemID)
        try await connection.declareQueue(queue, arguments: ["x-dead-letter-exchange": .string(BusNames.deadExchange)])
        try await connection.bindQueue(queue, to: BusNames.deployExchange, routingKey: systemID)
    }
}
