import AMQP
import Foundation

/// How `kfarm agent` runs: which system it speaks for, where the API and
/// the broker are, its root (slots, journal, downloads), the key it trusts
/// artifacts by, and its reboot/health check.
public struct AgentSettings: Sendable {
    public var systemID: UUID
    public var apiURL: URL
    /// A system token of a release manager of the system's project.
    public var token: String
    public var broker: AMQPConfiguration
    public var root: URL
    /// The farm's public key (raw base64, or PEM); nil: fetched from
    /// `GET /signing-key` on the first start and pinned in `<root>/farm-signing-key`.
    public var signingKey: URL?
    public var health: HealthCheck
    public var heartbeatInterval: Duration

    public init(systemID: UUID, apiURL: URL, token: String, broker: AMQPConfiguration, root: URL, signingKey: URL?,
                health: HealthCheck, heartbeatInterval: Duration) {
        self.systemID = systemID
        self.apiURL = apiURL
        self.token = token
        self.broker = broker
        self.root = root
        self.signingKey = signingKey
        self.health = health
        self.heartbeatInterval = heartbeatInterval
    }
}
