import Synchronization

/// Whether a broker session is connected now, for `/ready`: set by
/// `BrokerSession.run` as it connects, loses and regains the broker.
public final class BrokerLink: Sendable {
    private let connected = Mutex(false)

    public init() {}

    public var isConnected: Bool { connected.withLock { $0 } }

    func set(_ value: Bool) {
        connected.withLock { $0 = value }
    }
}
