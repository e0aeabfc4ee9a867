import AMQP
import FarmBus
import FarmModel
import FarmStore
import Logging
import ServiceLifecycle

/// Publishes outbox messages to RabbitMQ with publisher confirms and marks
/// them sent. While the broker is away the messages wait in PostgreSQL and
/// the relay reconnects with a growing pause; submitting never depends on
/// the broker being up.
struct OutboxRelay: Service {
    let outbox: OutboxRepository
    let systems: SystemRepository
    let workers: WorkerRepository
    let broker: AMQPConfiguration
    /// Whether the relay is connected, for `/ready`.
    let link: BrokerLink
    let logger: Logger
    var batchSize = 200
    var lookInterval: Duration = .milliseconds(500)
    /// How long the relay may go without a word to the broker before it checks the connection.
    var probeInterval: Duration = .seconds(5)
    var roundPatience: Duration = .seconds(30)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    // Looks now and then for messages no ring announced
                    // (another replica's, or a crashed process's).
                    while (try? await Task.sleep(for: lookInterval)) != nil { outbox.doorbell.ring() }
                }
                await BrokerSession.run(broker, link: link, logger: logger) { connection in try await pump(connection) }
                group.cancelAll()
            }
        }
    }

    /// Sends everything waiting, then again whenever the doorbell rings;
    /// checks the connection now and then, so `/ready` tells a lost broker.
    private func pump(_ connection: AMQPConnection) async throws {
        // Every toolchain queue once per connection: the broker may have lost them.
        try await bounded {
            try await declareToolchainQueues(connection, undeclaredOnly: false)
            try await sendAll(connection)
        }
        var lastProbe = ContinuousClock.now
        for await _ in outbox.doorbell.rings {
            try Task.checkCancellation()
            // What was just committed goes out first (a submit's dispatch is
            // what a worker waits for); then the queues of new systems and toolchains.
            try await bounded {
                try await sendAll(connection)
                try await declareOrderQueues(connection)
                try await declareToolchainQueues(connection, undeclaredOnly: true)
            }
            if ContinuousClock.now - lastProbe >= probeInterval {
                try await link.probe(connection)
                lastProbe = .now
            }
        }
    }

    /// A round of the relay that has not ended within `roundPatience` (a database request caught by a
    /// restart) ends the session: the relay connects again and goes on.
    private func bounded(_ round: @escaping @Sendable () async throws -> Void) async throws {
        try await AbandonableWork.run(within: roundPatience, "a round of the outbox relay", round)
    }

    /// A new system's order queue exists before its agent first logs in
    /// (agents may only read it; declaring is the farm's).
    private func declareOrderQueues(_ connection: AMQPConnection) async throws {
        let waiting = try await systems.awaitingOrderQueue()
        for system in waiting {
            try await BusTopology.declareDeployQueue(forSystem: system.lowercased, on: connection)
        }
        try await systems.orderQueuesDeclared(waiting)
    }

    /// A toolchain's build queue exists, bound, once a worker has offered it:
    /// before a build is routed there, and before the worker consumes it
    /// (workers may only read their queues).
    private func declareToolchainQueues(_ connection: AMQPConnection, undeclaredOnly: Bool) async throws {
        let queues = try await workers.toolchainQueues(undeclaredOnly: undeclaredOnly)
        for queue in queues {
            try await BusTopology.declareBuildQueue(queue.architecture, toolchain: queue.compiler, on: connection)
        }
        try await workers.toolchainQueuesDeclared(queues)
    }

    /// Sends everything waiting. A build routed to a toolchain offered
    /// since this connection's last look at the queues comes back
    /// unroutable: the relay declares the new queues and tries once more.
    private func sendAll(_ connection: AMQPConnection) async throws {
        do {
            try await publishWaiting(connection)
        } catch AMQPError.unroutable {
            try await declareToolchainQueues(connection, undeclaredOnly: true)
            do {
                try await publishWaiting(connection)
            } catch AMQPError.unroutable(let returned) {
                logger.error("the broker returned messages no queue took; they stay in the outbox",
                             metadata: ["returned": "\(returned)"])
                throw AMQPError.unroutable(returned)
            }
        }
    }

    private func publishWaiting(_ connection: AMQPConnection) async throws {
        while try await outbox.relay(limit: batchSize, publish: { batch in
            // A system's order queue exists before its order does, even for a system newer than the
            // relay's last look or a broker that lost it: the broker drops what no queue takes.
            for system in Set(batch.filter { $0.exchange == BusNames.deployExchange }.map(\.routingKey)) {
                try await BusTopology.declareDeployQueue(forSystem: system, on: connection)
            }
            // A dispatch or an order no queue takes comes back (mandatory) rather than being dropped:
            // it stays in the outbox, and is sent again once the queues are declared (`sendAll`, or the
            // reconnected session). (Cancels may rightly reach no one: a build no worker runs.)
            try await connection.publish(batch.map {
                AMQPMessage(exchange: $0.exchange, routingKey: $0.routingKey, body: $0.body, priority: $0.priority,
                            mandatory: $0.exchange == BusNames.buildsExchange || $0.exchange == BusNames.deployExchange)
            })
        }) == batchSize {}
    }
}
