import CRabbitMQ
import Dispatch

/// One broker connection for declaring topology and publishing with
/// publisher confirms. rabbitmq-c blocks, so every call runs on this
/// connection's own serial queue, never on the caller's thread (or an
/// event loop); callers simply `await`.
public final class AMQPConnection: @unchecked Sendable {
    // Touched only on `queue`.
    private var state: amqp_connection_state_t?
    /// Delivery tags the broker has confirmed, up to and including this one.
    private var confirmedThrough: UInt64 = 0
    private var published: UInt64 = 0
    private let queue: DispatchQueue
    /// Who logged in: every message published carries it as `user_id`,
    /// which the broker checks, so consumers know who sent what.
    public let user: String

    private init(state: amqp_connection_state_t, label: String, user: String) {
        self.state = state
        self.queue = DispatchQueue(label: label)
        self.user = user
    }

    /// Connects, logs in and puts channel 1 in confirm mode.
    public static func connect(_ configuration: AMQPConfiguration) async throws -> AMQPConnection {
        let queue = DispatchQueue(label: "amqp.connect")
        let state = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws(AMQPError) -> amqp_connection_state_t in
                    let state = try RabbitC.open(configuration, heartbeat: 0)
                    amqp_confirm_select(state, 1)
                    try RabbitC.check(amqp_get_rpc_reply(state), "confirm.select")
                    return state
                })
            }
        }
        return AMQPConnection(state: state, label: "amqp.connection.\(configuration.host):\(configuration.port)",
                              user: configuration.user)
    }

    /// Runs `body` on the connection's queue with its open connection.
    private func perform<T: Sendable>(_ body: @escaping @Sendable (amqp_connection_state_t) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                guard let state = self.state else { return continuation.resume(throwing: AMQPError.closed) }
                continuation.resume(with: Result { try body(state) })
            }
        }
    }

    public func declareExchange(_ name: String, type: String, durable: Bool = true) async throws {
        try await perform { state in
            RabbitC.withBytes([name, type]) { bytes in
                _ = amqp_exchange_declare(state, 1, bytes[0], bytes[1], 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
            }
            try RabbitC.check(amqp_get_rpc_reply(state), "exchange.declare \(name)")
        }
    }

    /// Declares a queue with arguments such as `x-max-priority` or `x-dead-letter-exchange`.
    public func declareQueue(_ name: String, durable: Bool = true, arguments: [String: AMQPValue] = [:]) async throws {
        try await perform { state in
            try RabbitC.withBytes([name]) { bytes in
                RabbitC.withTable(arguments) { table in
                    _ = amqp_queue_declare(state, 1, bytes[0], 0, durable ? 1 : 0, 0, 0, table)
                }
            }
            try RabbitC.check(amqp_get_rpc_reply(state), "queue.declare \(name)")
        }
    }

    public func bindQueue(_ queue: String, to exchange: String, routingKey: String) async throws {
        try await perform { state in
            RabbitC.withBytes([queue, exchange, routingKey]) { bytes in
                _ = amqp_queue_bind(state, 1, bytes[0], bytes[1], bytes[2], amqp_empty_table)
            }
            try RabbitC.check(amqp_get_rpc_reply(state), "queue.bind \(queue)")
        }
    }

    /// Deletes a queue (tests and tooling); returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String) async throws -> UInt32 {
        try await perform { state in
            let reply = RabbitC.withBytes([name]) { bytes in amqp_queue_delete(state, 1, bytes[0], 0, 0) }
            try RabbitC.check(amqp_get_rpc_reply(state), "queue.delete \(name)")
            return reply?.pointee.message_count ?? 0
        }
    }

    /// Publishes the messages pipelined, then waits until the broker has
    /// confirmed every one of them; throws if it refuses any, or returns
    /// any mandatory one no queue took (`unroutable`, once all are confirmed).
    public func publish(_ messages: [AMQPMessage]) async throws {
        try await perform { state in
            for message in messages { try self.send(message, on: state) }
            let returned = try self.awaitConfirms(through: self.published, on: state)
            if !returned.isEmpty { throw AMQPError.unroutable(returned) }
        }
    }

    public func publish(_ message: AMQPMessage) async throws {
        try await publish([message])
    }

    public func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
                if let state = self.state { RabbitC.close(state) }
                self.state = nil
                continuation.resume()
            }
        }
    }

    deinit {
        if let state { RabbitC.close(state) }
    }

    // MARK: - On the queue

    private func send(_ message: AMQPMessage, on state: amqp_connection_state_t) throws {
        let status = RabbitC.withBytes([message.exchange, message.routingKey, message.contentType, user]) { bytes in
            var properties = amqp_basic_properties_t()
            properties._flags = amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG
                                             | AMQP_BASIC_USER_ID_FLAG)
            properties.content_type = bytes[2]
            properties.user_id = bytes[3]
            properties.delivery_mode = message.persistent ? 2 : 1
            properties.priority = message.priority
            return message.body.withUnsafeBytes { body in
                amqp_basic_publish(state, 1, bytes[0], bytes[1], message.mandatory ? 1 : 0, 0, &properties,
                                   amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
            }
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPError.refused("basic.publish: \(String(cString: amqp_error_string2(status)))")
        }
        published += 1
    }

    /// Reads frames until the broker has acked `tag` (acks may cover many
    /// tags at once); the messages it returned meanwhile, described.
    private func awaitConfirms(through tag: UInt64, on state: amqp_connection_state_t) throws -> [String] {
        var returned: [String] = []
        while confirmedThrough < tag {
            var frame = amqp_frame_t()
            let status = amqp_simple_wait_frame(state, &frame)
            guard status == AMQP_STATUS_OK.rawValue else {
                self.state = nil
                amqp_destroy_connection(state)
                throw AMQPError.notConfirmed("waiting for confirms: \(String(cString: amqp_error_string2(status)))")
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            let method = frame.payload.method
            switch method.id {
            case UInt32(AMQP_BASIC_ACK_METHOD):
                let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                confirmedThrough = max(confirmedThrough, ack.delivery_tag)
            case UInt32(AMQP_BASIC_RETURN_METHOD):
                // A returned message comes before its ack: the method, then its header and body, read and dropped.
                let back = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                returned.append("\(RabbitC.string(back.exchange)) \(RabbitC.string(back.routing_key)): \(RabbitC.string(back.reply_text))")
                var message = amqp_message_t()
                try RabbitC.check(amqp_read_message(state, frame.channel, &message, 0), "basic.return")
                amqp_destroy_message(&message)
            case UInt32(AMQP_BASIC_NACK_METHOD):
                let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                throw AMQPError.notConfirmed("broker nacked delivery \(nack.delivery_tag)")
            case UInt32(AMQP_CHANNEL_CLOSE_METHOD), UInt32(AMQP_CONNECTION_CLOSE_METHOD):
                // The reason lives in the connection's memory: read it before that is freed.
                let reason = RabbitC.serverReason(method)
                self.state = nil
                amqp_destroy_connection(state)
                throw AMQPError.refused(reason)
            default:
                continue
            }
        }
        amqp_maybe_release_buffers(state)
        return returned
    }
}
