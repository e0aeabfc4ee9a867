import FarmModel
import Foundation
import Logging
import PostgresNIO

/// A message waiting in the outbox.
public struct OutboxMessage: Sendable, Equatable {
    public var id: Int64
    public var exchange: String
    public var routingKey: String
    public var priority: UInt8
    public var body: [UInt8]
}

/// Messages written in the same transaction as the change that caused them,
/// so a crash between commit and publish loses nothing: the relay finds
/// them on its next pass.
public enum Outbox {
    /// A message as an outbox row holds it: published where the message says.
    struct Row {
        let exchange: String
        let routingKey: String
        let priority: Int16
        let body: String

        init(_ message: some BusMessage) throws {
            exchange = message.exchange
            routingKey = message.routingKey
            priority = Int16(message.amqpPriority)
            body = String(decoding: try message.body(), as: UTF8.self)
        }
    }

    static func enqueue(_ message: some BusMessage, on connection: PostgresConnection, logger: Logger) async throws {
        let row = try Row(message)
        try await connection.query("""
            INSERT INTO outbox (exchange, routing_key, priority, body)
            VALUES (\(row.exchange), \(row.routingKey), \(row.priority), \(row.body))
            """, logger: logger)
    }
}

/// Hands unsent outbox messages to a publisher and marks them sent once it
/// returns. Rows are locked with SKIP LOCKED, so several relays (one per
/// API replica) share the work without sending a row twice.
public struct OutboxRepository: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Rung when new messages are committed.
    public let doorbell: OutboxDoorbell

    /// Publishes up to `limit` messages in order; returns how many were sent.
    @discardableResult
    public func relay(limit: Int, publish: @Sendable ([OutboxMessage]) async throws -> Void) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            // Marking sent need not wait for the disk: if a crash loses the
            // mark, the messages go out again, and duplicates are harmless.
            // (Set in the statement that locks the batch: one round trip less
            // between a submit's commit and its dispatch.)
            let batch = try await connection.query("""
                WITH quick_commit AS (SELECT set_config('synchronous_commit', 'off', true))
                SELECT id, exchange, routing_key, priority, body FROM outbox, quick_commit
                WHERE sent_at IS NULL ORDER BY id LIMIT \(limit) FOR UPDATE OF outbox SKIP LOCKED
                """, logger: logger).all { row -> OutboxMessage in
                let (id, exchange, routingKey, priority, body) = try row.decode((Int64, String, String, Int16, String).self)
                return OutboxMessage(id: id, exchange: exchange, routingKey: routingKey, priority: UInt8(priority),
                                     body: Array(body.utf8))
            }
            guard !batch.isEmpty else { return 0 }
            try await publish(batch)
            let ids = batch.map(\.id)
            try await connection.query("UPDATE outbox SET sent_at = now() WHERE id = ANY(\(ids))", logger: logger)
            return batch.count
        }
    }

    /// How many messages wait to be sent (for readiness and metrics).
    public func pending() async throws -> Int {
        try await client.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL", logger: logger)
            .first { try $0.decode(Int.self) } ?? 0
    }
}
