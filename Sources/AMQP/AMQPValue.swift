/// A value in an AMQP field table (queue arguments such as `x-max-priority`).
public enum AMQPValue: Sendable, Hashable {
    case int(Int32)
    case long(Int64)
    case bool(Bool)
    case string(String)
}
