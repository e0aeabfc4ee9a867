import CRabbitMQ
import Foundation
import Synchronization

/// Consumes one or more queues on a connection and thread of its own: the thread
/// waits for deliveries (rabbitmq-c blocks), hands them to `deliveries`, and
/// between waits carries out the acks and nacks callers asked for, since a
/// delivery can only be settled on the connection that received it.
public final class AMQPConsumer: Sendable {
    private enum Settlement: Sendable {
        case ack(UInt64)
        case nack(UInt64, requeue: Bool)
    }

    /// What callers ask of the consumer's thread, shared with it.
    private final class Mailbox: Sendable {
        struct Contents {
            var settlements: [Settlement] = []
            var stopped = false
        }

        let contents = Mutex(Contents())
    }

    /// Every delivery, in the order the broker sent them, in batches of
    /// what had arrived together (so a busy consumer can settle and store
    /// many at once); finishes when the consumer stops, or throws when the
    /// connection fails.
    public let batches: AsyncThrowingStream<[AMQPDelivery], any Error>
    /// The most deliveries one batch holds.
    static let batchLimit = 512
    private let mailbox = Mailbox()

    /// Opens a connection, sets the prefetch window (shared by all `queues`:
    /// at most `prefetch` unsettled deliveries in all) and starts consuming.
    public init(_ configuration: AMQPConfiguration, queues: [String], prefetch: UInt16) async throws {
        let (stream, continuation) = AsyncThrowingStream<[AMQPDelivery], any Error>.makeStream()
        batches = stream
        let mailbox = self.mailbox
        try await withCheckedThrowingContinuation { (started: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                let state: amqp_connection_state_t
                do {
                    state = try RabbitC.open(configuration, heartbeat: configuration.heartbeat)
                    // RabbitMQ reads global=1 as one limit for the whole channel.
                    amqp_basic_qos(state, 1, 0, prefetch, 1)
                    try RabbitC.check(amqp_get_rpc_reply(state), "basic.qos")
                    for queue in queues {
                        RabbitC.withBytes([queue]) { bytes in
                            _ = amqp_basic_consume(state, 1, bytes[0], amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
                        }
                        try RabbitC.check(amqp_get_rpc_reply(state), "basic.consume \(queue)")
                    }
                } catch {
                    started.resume(throwing: error)
                    continuation.finish(throwing: error)
                    return
                }
                started.resume()
                Self.run(state, mailbox: mailbox, continuation: continuation)
            }
            thread.name = "amqp.consumer.\(queues.joined(separator: ","))"
            thread.start()
        }
    }

    public func ack(_ delivery: AMQPDelivery) {
        mailbox.contents.withLock { $0.settlements.append(.ack(delivery.deliveryTag)) }
    }

    /// Refuses a delivery; without `requeue` it goes to the queue's dead-letter exchange.
    public func nack(_ delivery: AMQPDelivery, requeue: Bool) {
        mailbox.contents.withLock { $0.settlements.append(.nack(delivery.deliveryTag, requeue: requeue)) }
    }

    /// Stops consuming and closes the connection; unsettled deliveries go back to the queue.
    public func stop() {
        mailbox.contents.withLock { $0.stopped = true }
    }

    deinit {
        stop()
    }

    // MARK: - On the consumer's thread

    private static func run(
        _ state: amqp_connection_state_t, mailbox: Mailbox,
        continuation: AsyncThrowingStream<[AMQPDelivery], any Error>.Continuation
    ) {
        defer { RabbitC.close(state) }
        while true {
            let (settlements, stopped) = mailbox.contents.withLock { contents in
                defer { contents.settlements.removeAll() }
                return (contents.settlements, contents.stopped)
            }
            for settlement in settlements {
                switch settlement {
                case .ack(let tag): amqp_basic_ack(state, 1, tag, 0)
                case .nack(let tag, let requeue): amqp_basic_nack(state, 1, tag, 0, requeue ? 1 : 0)
                }
            }
            if stopped {
                continuation.finish()
                return
            }
            amqp_maybe_release_buffers(state)
            // A short first wait keeps settlements and stop requests prompt;
            // then whatever else has arrived joins the batch without waiting.
            var batch: [AMQPDelivery] = []
            var timeout = timeval(tv_sec: 0, tv_usec: 20_000)
            while batch.count < batchLimit {
                var envelope = amqp_envelope_t()
                let reply = amqp_consume_message(state, &envelope, &timeout, 0)
                if reply.reply_type == AMQP_RESPONSE_NORMAL {
                    batch.append(delivery(envelope))
                    amqp_destroy_envelope(&envelope)
                    timeout = timeval(tv_sec: 0, tv_usec: 0)
                } else if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                            && reply.library_error == AMQP_STATUS_TIMEOUT.rawValue {
                    break
                } else {
                    if !batch.isEmpty { continuation.yield(batch) }
                    continuation.finish(throwing: AMQPError.refused("consuming: \(describe(reply, state))"))
                    return
                }
            }
            if !batch.isEmpty { continuation.yield(batch) }
        }
    }

    private static func delivery(_ envelope: amqp_envelope_t) -> AMQPDelivery {
        let properties = envelope.message.properties
        let hasPriority = properties._flags & amqp_flags_t(AMQP_BASIC_PRIORITY_FLAG) != 0
        let hasUser = properties._flags & amqp_flags_t(AMQP_BASIC_USER_ID_FLAG) != 0
        return AMQPDelivery(
            deliveryTag: envelope.delivery_tag, exchange: RabbitC.string(envelope.exchange),
            routingKey: RabbitC.string(envelope.routing_key), body: RabbitC.array(envelope.message.body),
            priority: hasPriority ? properties.priority : 0, redelivered: envelope.redelivered != 0,
            userID: hasUser ? RabbitC.string(properties.user_id) : nil)
    }

    /// Why consuming stopped: a library error, or the frame the broker sent instead of a delivery.
    private static func describe(_ reply: amqp_rpc_reply_t, _ state: amqp_connection_state_t) -> String {
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue {
            var frame = amqp_frame_t()
            if amqp_simple_wait_frame(state, &frame) == AMQP_STATUS_OK.rawValue, frame.frame_type == UInt8(AMQP_FRAME_METHOD) {
                return RabbitC.serverReason(frame.payload.method)
            }
        }
        return String(cString: amqp_error_string2(reply.library_error))
    }
}
