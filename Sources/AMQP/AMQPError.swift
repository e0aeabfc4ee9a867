/// What can go wrong talking to the broker.
public enum AMQPError: Error, Sendable, Equatable {
    case invalidConfiguration(String)
    /// The TCP connection or login failed.
    case connectionFailed(String)
    /// The broker refused an operation (it closes the channel or connection with a reason).
    case refused(String)
    /// The broker did not take responsibility for a published message.
    case notConfirmed(String)
    /// The broker returned mandatory messages no queue took (exchange, routing key and its reason for each).
    case unroutable([String])
    /// The connection is closed; nothing more can be done with it.
    case closed
}
