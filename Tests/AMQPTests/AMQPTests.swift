import AMQP
import Foundation
import Testing

/// Against a real RabbitMQ: `KFARM_TEST_AMQP_URL`, set by scripts/test.sh,
/// which starts a private node for the run.
enum TestBroker {
    static func configuration() throws -> AMQPConfiguration {
        guard let url = ProcessInfo.processInfo.environment["KFARM_TEST_AMQP_URL"] else {
            throw AMQPError.invalidConfiguration(
                "KFARM_TEST_AMQP_URL is not set: run the tests with scripts/test.sh, which starts RabbitMQ")
        }
        return try AMQPConfiguration(url: url)
    }

    static func unique(_ prefix: String) -> String { "test.\(prefix).\(UUID().uuidString.prefix(8))" }

    /// Collects `count` deliveries, settling each with `settle`, or fails after `seconds`.
    static func take(
        _ count: Int, from consumer: AMQPConsumer, within seconds: Int = 10,
        settle: (AMQPDelivery) -> Void = { _ in }
    ) async throws -> [AMQPDelivery] {
        var taken: [AMQPDelivery] = []
        let deadline = ContinuousClock.now + .seconds(seconds)
        batches: for try await batch in consumer.batches {
            for delivery in batch {
                taken.append(delivery)
                settle(delivery)
                if taken.count == count { break batches }
            }
            if ContinuousClock.now > deadline { break }
        }
        return taken
    }
}

@Suite(.serialized) struct AMQPTests {
    @Test func publishesWithConfirmsAndConsumesEveryMessageInOrder() async throws {
        let configuration = try TestBroker.configuration()
        let connection = try await AMQPConnection.connect(configuration)
        let queue = TestBroker.unique("order")
        try await connection.declareQueue(queue)
        let messages = (0..<200).map { AMQPMessage(exchange: "", routingKey: queue, body: Array("message \($0)".utf8)) }
        try await connection.publish(messages)

        let consumer = try await AMQPConsumer(configuration, queues: [queue], prefetch: 50)
        let received = try await TestBroker.take(200, from: consumer) { consumer.ack($0) }
        #expect(received.map { String(decoding: $0.body, as: UTF8.self) } == (0..<200).map { "message \($0)" })
        #expect(received.allSatisfy { $0.routingKey == queue && !$0.redelivered })
        consumer.stop()
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await connection.deleteQueue(queue) == 0, "every message was acked")
        await connection.close()
    }

    @Test func priorityQueueDeliversHigherPrioritiesFirst() async throws {
        let configuration = try TestBroker.configuration()
        let connection = try await AMQPConnection.connect(configuration)
        let queue = TestBroker.unique("priority")
        try await connection.declareQueue(queue, arguments: ["x-max-priority": .int(10)])
        let priorities: [UInt8] = [1, 1, 5, 9, 1, 9]
        try await connection.publish(priorities.enumerated().map { index, priority in
            AMQPMessage(exchange: "", routingKey: queue, body: [UInt8(index)], priority: priority)
        })

        let consumer = try await AMQPConsumer(configuration, queues: [queue], prefetch: 1)
        let received = try await TestBroker.take(6, from: consumer) { consumer.ack($0) }
        #expect(received.map(\.priority) == [9, 9, 5, 1, 1, 1])
        #expect(received.map { $0.body[0] } == [3, 5, 2, 0, 1, 4], "equal priorities keep their order")
        consumer.stop()
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test func nackWithoutRequeueDeadLettersAndUnsettledComeBack() async throws {
        let configuration = try TestBroker.configuration()
        let connection = try await AMQPConnection.connect(configuration)
        let deadExchange = TestBroker.unique("dead")
        let deadQueue = TestBroker.unique("dead.q")
        let work = TestBroker.unique("work")
        try await connection.declareExchange(deadExchange, type: "fanout", durable: false)
        try await connection.declareQueue(deadQueue)
        try await connection.bindQueue(deadQueue, to: deadExchange, routingKey: "")
        try await connection.declareQueue(work, arguments: ["x-dead-letter-exchange": .string(deadExchange)])
        try await connection.publish([
            AMQPMessage(exchange: "", routingKey: work, body: Array("poison".utf8)),
            AMQPMessage(exchange: "", routingKey: work, body: Array("unsettled".utf8)),
        ])

        let first = try await AMQPConsumer(configuration, queues: [work], prefetch: 10)
        let taken = try await TestBroker.take(2, from: first)
        first.nack(taken[0], requeue: false)
        try await Task.sleep(for: .milliseconds(200))
        first.stop()  // "unsettled" was never acked: it goes back to the queue

        let dead = try await AMQPConsumer(configuration, queues: [deadQueue], prefetch: 1)
        let deadLettered = try await TestBroker.take(1, from: dead) { dead.ack($0) }
        #expect(deadLettered.map { String(decoding: $0.body, as: UTF8.self) } == ["poison"])
        dead.stop()

        let second = try await AMQPConsumer(configuration, queues: [work], prefetch: 10)
        let again = try await TestBroker.take(1, from: second) { second.ack($0) }
        #expect(again.first.map { String(decoding: $0.body, as: UTF8.self) } == "unsettled")
        #expect(again.first?.redelivered == true)
        second.stop()
        try await Task.sleep(for: .milliseconds(200))
        for queue in [work, deadQueue] { try await connection.deleteQueue(queue) }
        await connection.close()
    }

    @Test func aMandatoryMessageNoQueueTakesComesBack() async throws {
        let connection = try await AMQPConnection.connect(try TestBroker.configuration())
        let exchange = TestBroker.unique("nowhere")
        try await connection.declareExchange(exchange, type: "direct", durable: false)
        let lost = AMQPMessage(exchange: exchange, routingKey: "nobody", body: Array("x".utf8))
        try await connection.publish(lost)  // not mandatory: confirmed, and gone
        var mandatory = lost
        mandatory.mandatory = true
        await #expect(throws: AMQPError.unroutable(["\(exchange) nobody: NO_ROUTE"])) {
            try await connection.publish([mandatory, lost])
        }
        // The connection goes on; a routable mandatory message is simply confirmed.
        let queue = TestBroker.unique("somebody")
        try await connection.declareQueue(queue, durable: false)
        try await connection.bindQueue(queue, to: exchange, routingKey: "somebody")
        mandatory.routingKey = "somebody"
        try await connection.publish(mandatory)
        #expect(try await connection.deleteQueue(queue) == 1)
        await connection.close()
    }

    @Test func failuresAreReportedNotHung() async throws {
        let configuration = try TestBroker.configuration()
        var wrongPort = configuration
        wrongPort.port = 1
        await #expect(throws: AMQPError.self) { try await AMQPConnection.connect(wrongPort) }
        var wrongPassword = configuration
        wrongPassword.password = "not-the-password"
        await #expect(throws: AMQPError.self) { try await AMQPConnection.connect(wrongPassword) }

        let connection = try await AMQPConnection.connect(configuration)
        // The broker closes the channel; its reason is read before the connection's memory is freed.
        let missing = TestBroker.unique("missing")
        let refusal = await #expect(throws: AMQPError.self) {
            try await connection.publish(AMQPMessage(exchange: missing, routingKey: "x", body: [1]))
        }
        #expect(refusal == .refused("channel closed (404): NOT_FOUND - no exchange '\(missing)' in vhost '/'"))
        await #expect(throws: AMQPError.self) {
            _ = try await AMQPConsumer(configuration, queues: [TestBroker.unique("missing")], prefetch: 1)
        }
        await connection.close()
        await #expect(throws: AMQPError.closed) { try await connection.declareQueue("after-close") }
    }

    @Test func parsesBrokerURLs() throws {
        let configuration = try AMQPConfiguration(url: "amqp://farm:s3cret@127.0.0.1:56729/builds")
        #expect(configuration == AMQPConfiguration(host: "127.0.0.1", port: 56729, user: "farm", password: "s3cret",
                                                   virtualHost: "builds"))
        #expect(try AMQPConfiguration(url: "amqp://127.0.0.1/").virtualHost == "/")
        #expect(throws: AMQPError.self) { try AMQPConfiguration(url: "http://127.0.0.1") }
    }
}
