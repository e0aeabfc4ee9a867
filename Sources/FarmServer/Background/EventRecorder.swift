import AMQP
import FarmBus
import FarmModel
import FarmStore
import Foundation
import Logging
import ServiceLifecycle

/// Consumes workers' build events from `kfarm.recorder` and writes them to
/// PostgreSQL: everything that arrived together in one transaction, then
/// acked. A message that is not a build event batch goes to `kfarm.dead`;
/// when the database fails the batch goes back to the queue, to be tried
/// again (events are idempotent, so a partial earlier try changes nothing).
struct EventRecorder: Service {
    let events: BuildEventRepository
    let broker: AMQPConfiguration
    let maxAttempts: Int
    let logger: Logger
    var prefetch: UInt16 = 2000
    /// How long one batch's recording may take before it goes back to the queue.
    var recordingPatience: Duration = .seconds(30)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await BrokerSession.run(broker, logger: logger) { _ in try await consume() }
        }
    }

    private func consume() async throws {
        let consumer = try await AMQPConsumer(broker, queues: [BusNames.recorderQueue], prefetch: prefetch)
        defer { consumer.stop() }
        for try await deliveries in consumer.batches {
            var batches: [BuildEventBatch] = []
            var recordable: [AMQPDelivery] = []
            for delivery in deliveries {
                // Trusted by sender: the broker checked user_id against the publisher's login, and a
                // worker's events name itself (the store then applies them only while it holds the attempt).
                guard let batch = consumer.take(delivery, as: BuildEventBatch.self, logger: logger,
                                                meant: { $0.workerId.lowercased == delivery.userID }) else {
                    ServerMetrics.refusedEventBatch()
                    continue
                }
                batches.append(batch)
                recordable.append(delivery)
            }
            do {
                let recorded = try await AbandonableWork.run(within: recordingPatience, "recording events") { [events, batches, maxAttempts] in
                    try await events.record(batches, maxAttempts: maxAttempts)
                }
                ServerMetrics.recorded(recorded)
                recordable.forEach(consumer.ack)
                let now = Date().timeIntervalSince1970
                for sent in batches.compactMap(\.sentAt) { ServerMetrics.recorderLag(now - sent) }
            } catch {
                logger.warning("recording events failed; they go back to the queue", metadata: ["error": "\(error)"])
                recordable.forEach { consumer.nack($0, requeue: true) }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
