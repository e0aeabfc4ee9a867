import AMQP
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

    /// Checks the connection with one round trip. The link reads down when
    /// no answer comes within `patience` (a network that dropped silently
    /// holds a blocking call for minutes), and up again once one does.
    public func probe(_ connection: AMQPConnection, patience: Duration = .seconds(5)) async throws {
        let watchdog = Task { [self] in
            try await Task.sleep(for: patience)
            set(false)
        }
        defer { watchdog.cancel() }
        try await BusTopology.probe(on: connection)
        set(true)
    }
}
