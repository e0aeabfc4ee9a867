import AMQP
import Logging

/// Keeps a process attached to the broker: connects, declares the topology
/// (the farm's own processes; machines may not), runs `session` on the
/// connection, and after a failure (broker restarted, network gone, a queue
/// not declared yet) reconnects with a growing pause, until the task is cancelled.
public enum BrokerSession {
    public static func run(
        _ broker: AMQPConfiguration, declaresTopology: Bool = true, link: BrokerLink? = nil, logger: Logger,
        _ session: (AMQPConnection) async throws -> Void
    ) async {
        var backoff: Duration = .milliseconds(250)
        while !Task.isCancelled {
            do {
                let connection = try await AMQPConnection.connect(broker)
                do {
                    if declaresTopology { try await BusTopology.declare(on: connection) }
                    logger.info("connected to the broker", metadata: ["broker": "\(broker.host):\(broker.port)"])
                    backoff = .milliseconds(250)
                    link?.set(true)
                    defer { link?.set(false) }
                    try await session(connection)
                    await connection.close()
                } catch {
                    await connection.close()
                    throw error
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("broker unavailable", metadata: ["error": "\(error)", "retryIn": "\(backoff)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(10))
            }
        }
    }
}
