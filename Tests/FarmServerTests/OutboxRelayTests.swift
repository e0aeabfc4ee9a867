import AMQP
@testable import FarmServer
import FarmBus
import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Logging
import Testing

/// The transactional outbox against real PostgreSQL and RabbitMQ: builds
/// committed while no relay runs (as after a crash between commit and
/// publish) are published once a relay starts, in priority order.
@Suite(.serialized) struct OutboxRelayTests {
    @Test func committedBuildsReachTheirArchitectureQueueInPriorityOrder() async throws {
        guard let url = ProcessInfo.processInfo.environment["KFARM_TEST_AMQP_URL"] else {
            Issue.record("KFARM_TEST_AMQP_URL is not set: run the tests with scripts/test.sh, which starts RabbitMQ")
            return
        }
        let broker = try AMQPConfiguration(url: url)
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer, architecture: .arm64)
            var ids: [UUID: BuildPriority] = [:]
            for priority in [BuildPriority.low, .normal, .high, .critical] {
                let build = try await store.builds.submit(
                    NewBuild(configVersionId: configuration.versions[0].id, priority: priority), by: developer.user.id)
                ids[build.id] = priority
            }

            let relay = OutboxRelay(outbox: store.outbox, systems: store.systems, workers: store.workers, broker: broker, link: BrokerLink(),
                                    logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await relay.run() }
                defer { group.cancelAll() }
                for _ in 0..<100 {
                    let unsent = try await store.client.query("""
                        SELECT count(*) FROM outbox WHERE sent_at IS NULL AND body LIKE ANY(\(ids.keys.map { "%\($0.lowercased)%" }))
                        """).collect().map { try $0.decode(Int.self) }
                    if unsent == [0] { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }

            let consumer = try await AMQPConsumer(broker, queues: [BusNames.buildQueue(.arm64)], prefetch: 1)
            var seen: [BuildPriority] = []
            var seenBuilds: Set<UUID> = []
            let deadline = ContinuousClock.now + .seconds(10)
            for try await batch in consumer.batches {
                for delivery in batch {
                    let dispatch = try JSONDecoder().decode(BuildDispatch.self, from: Data(delivery.body))
                    // At least once: a batch whose mark as sent did not commit goes out again (the claim absorbs it).
                    if let priority = ids[dispatch.buildId], seenBuilds.insert(dispatch.buildId).inserted {
                        #expect(dispatch.schema == BuildDispatch.schema && dispatch.attempt == 1 && dispatch.architecture == .arm64)
                        #expect(delivery.priority == priority.amqpPriority)
                        seen.append(priority)
                    }
                    consumer.ack(delivery)
                }
                if seen.count == ids.count || ContinuousClock.now > deadline { break }
            }
            consumer.stop()
            #expect(seen == [.critical, .high, .normal, .low])
        }
    }
}
