/// A message to publish. Persistent by default: it survives a broker restart
/// once the broker has confirmed it.
public struct AMQPMessage: Sendable, Equatable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var persistent: Bool
    /// 0...255; a queue declared with `x-max-priority` delivers higher first.
    public var priority: UInt8
    public var contentType: String
    /// The broker must route it to a queue, or return it: `publish` then
    /// throws `unroutable` instead of the message being dropped unseen.
    public var mandatory: Bool

    public init(exchange: String, routingKey: String, body: [UInt8], persistent: Bool = true, priority: UInt8 = 0,
                contentType: String = "application/json", mandatory: Bool = false) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.persistent = persistent
        self.priority = priority
        self.contentType = contentType
        self.mandatory = mandatory
    }
}

/// A message delivered to a consumer; settle it with `ack`, `nack` or `reject`.
public struct AMQPDelivery: Sendable, Equatable {
    public var deliveryTag: UInt64
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var priority: UInt8
    public var redelivered: Bool
    /// The publisher's login as the broker checked it (`user_id`); nil when the publisher set none.
    public var userID: String?
}
