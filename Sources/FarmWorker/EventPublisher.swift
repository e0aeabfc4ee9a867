import AMQP
import FarmBus
import FarmModel
import Foundation
import Logging
import Synchronization

/// Publishes the spooled events of every attempt the worker runs, as
/// batches with publisher confirms, every `interval` (log lines alone
/// after at most `logLinger`). When the broker is
/// away it reconnects with a growing pause; spools keep their events until
/// they are confirmed, and are dropped once their result is out.
public final class EventPublisher: Sendable {
    private let logger: Logger
    private let interval: Duration
    /// How long log lines may wait to go out together (see `EventSpool.take`).
    private let logLinger: Duration
    private let spools = Mutex<[EventSpool]>([])

    public init(logger: Logger, interval: Duration = .milliseconds(10), logLinger: Duration = .milliseconds(250)) {
        self.logger = logger
        self.interval = interval
        self.logLinger = logLinger
    }

    public func open(buildId: UUID, attempt: Int, workerId: UUID) -> EventSpool {
        let spool = EventSpool(buildId: buildId, attempt: attempt, workerId: workerId)
        WorkerMetrics.spoolBacklog(attempts: spools.withLock { $0.append(spool); return $0.count })
        return spool
    }

    /// Publishes until cancelled, logged in as the worker.
    public func run(on broker: AMQPConfiguration) async {
        await BrokerSession.run(broker, declaresTopology: false, logger: logger) { connection in
            while !Task.isCancelled {
                try await flush(on: connection)
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Whether every spool has been published through its result.
    public var isIdle: Bool { spools.withLock { $0.isEmpty } }

    /// Waits (up to `timeout`) until every spool is published, e.g. before the worker exits.
    public func drain(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isIdle && ContinuousClock.now < deadline {
            try? await Task.sleep(for: interval)
        }
        return isIdle
    }

    private func flush(on connection: AMQPConnection) async throws {
        let taken = spools.withLock { $0.compactMap { spool in spool.take(linger: logLinger).map { (spool, $0) } } }
        guard !taken.isEmpty else { return }
        do {
            try await connection.publish(try taken.map { _, batch in try AMQPMessage(batch) })
        } catch {
            for (spool, batch) in taken { spool.settle(batch, confirmed: false) }
            throw error
        }
        for (spool, batch) in taken { spool.settle(batch, confirmed: true) }
        WorkerMetrics.spoolBacklog(attempts: spools.withLock { $0.removeAll { $0.isDrained }; return $0.count })
    }
}
