/// Rung after a transaction that wrote outbox messages commits, so the
/// relay publishes them at once instead of at its next look (the relay also
/// looks now and then, for messages of crashed processes and other replicas).
public final class OutboxDoorbell: Sendable {
    /// One element per ring; rings while nobody listens collapse into one.
    public let rings: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (rings, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func ring() {
        continuation.yield()
    }
}
