import AMQP
import FarmModel
import Logging

extension AMQPConsumer {
    /// The delivery as the message type the consumer takes. One that does
    /// not decode as it, carries another schema, is not well formed or is
    /// not `meant` for this consumer goes to the dead letters, logged, and
    /// the answer is nil: asking again would get the same answer.
    public func take<Message: BusMessage>(
        _ delivery: AMQPDelivery, as type: Message.Type, logger: Logger, meant: (Message) -> Bool = { _ in true }
    ) -> Message? {
        let message = Message.decode(delivery.body)
        guard let message, meant(message) else {
            logger.error(message == nil ? "unreadable message sent to the dead letters"
                                        : "message not meant for this consumer sent to the dead letters",
                         metadata: ["schema": "\(Message.schema)", "routingKey": "\(delivery.routingKey)",
                                    "sender": "\(delivery.userID ?? "unknown")"])
            nack(delivery, requeue: false)
            return nil
        }
        return message
    }
}

extension AMQPMessage {
    /// The message, published where it says.
    public init(_ message: some BusMessage) throws {
        self.init(exchange: message.exchange, routingKey: message.routingKey, body: try message.body(),
                  priority: message.amqpPriority)
    }
}
