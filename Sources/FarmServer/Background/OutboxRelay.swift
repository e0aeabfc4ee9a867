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
    let broker: AMQPConfiguration
    let logger: Logger
    var batchSize = 200
    var idlePause: Duration = .milliseconds(50)

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            var backoff: Duration = .milliseconds(250)
            while !Task.isCancelled {
                do {
                    let connection = try await AMQPConnection.connect(broker)
                    do {
                        try await BusTopology.declare(on: connection)
                        logger.info("relay connected", metadata: ["broker": "\(broker.host):\(broker.port)"])
                        backoff = .milliseconds(250)
                        try await pump(connection)
                    } catch {
                        await connection.close()
                        throw error
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("relay paused: broker unavailable", metadata: ["error": "\(error)", "retryIn": "\(backoff)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(10))
                }
            }
        }
    }

    /// Sends batches until the outbox is empty, then waits a moment and looks again.
    private func pump(_ connection: AMQPConnection) async throws {
        while !Task.isCancelled {
            let sent = try await outbox.relay(limit: batchSize) { batch in
                try await connection.publish(batch.map {
                    AMQPMessage(exchange: $0.exchange, routingKey: $0.routingKey, body: $0.body, priority: $0.priority)
                })
            }
            if sent < batchSize { try await Task.sleep(for: idlePause) }
        }
    }
}
