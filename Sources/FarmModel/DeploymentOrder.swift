import Foundation

/// What the scheduler tells a system's agent over its `kfarm.deploy`
/// queue: install the deployment's artifact, or roll back to the kernel it
/// ran before. Carries the artifact's sha256 and the farm's signature over
/// its provenance, which the agent checks against the key it trusts before
/// anything is unpacked.
public struct DeploymentOrder: BusMessage, Equatable {
    public static let schema = "kfarm.deploy.order/1"

    public enum Action: String, Codable, Sendable {
        case install, rollback
    }

    public var schema: String
    @LowercaseUUID public var deploymentId: UUID
    @LowercaseUUID public var systemId: UUID
    public var action: Action
    public var artifact: ArtifactRef
    public var sha256: String
    public var size: Int
    public var kernelRelease: String
    public var signature: ProvenanceSignature
    /// Reboot into the new kernel (the agent's reboot/health command) after switching.
    public var forceReboot: Bool

    public init(deploymentId: UUID, systemId: UUID, action: Action, artifact: ArtifactRef, sha256: String, size: Int,
                kernelRelease: String, signature: ProvenanceSignature, forceReboot: Bool) {
        self.schema = Self.schema
        self.deploymentId = deploymentId
        self.systemId = systemId
        self.action = action
        self.artifact = artifact
        self.sha256 = sha256
        self.size = size
        self.kernelRelease = kernelRelease
        self.signature = signature
        self.forceReboot = forceReboot
    }

    public var exchange: String { BusNames.deployExchange }
    public var routingKey: String { systemId.lowercased }
}
