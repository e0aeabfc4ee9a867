import Foundation

/// A message the farm sends over the broker. It names its schema (name and
/// version) and where it is published; a consumer states the type it takes,
/// and a delivery that does not decode as that type, carries another
/// schema or fails `isWellFormed` goes to the dead letters (see FarmBus).
public protocol BusMessage: Codable, Sendable {
    /// `kfarm.<what>/<version>`: a new version is a new schema.
    static var schema: String { get }
    var schema: String { get }
    var exchange: String { get }
    var routingKey: String { get }
    /// The AMQP priority (0...255) on queues declared with `x-max-priority`.
    var amqpPriority: UInt8 { get }
    /// Checks decoding cannot make (ranges, limits).
    var isWellFormed: Bool { get }
}

extension BusMessage {
    public var amqpPriority: UInt8 { 0 }
    public var isWellFormed: Bool { true }

    /// The message's body as it goes on the wire.
    public func body() throws -> [UInt8] { Array(try JSONEncoder().encode(self)) }

    /// The message in `body`; nil when it is not one of this schema or not well formed.
    public static func decode(_ body: [UInt8]) -> Self? {
        guard let message = try? JSONDecoder().decode(Self.self, from: Data(body)),
              message.schema == Self.schema, message.isWellFormed else { return nil }
        return message
    }
}
