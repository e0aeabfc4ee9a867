import Foundation

/// A deployment inside other objects.
public struct DeploymentRef: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var status: DeploymentStatus

    public init(id: UUID, status: DeploymentStatus) {
        self.id = id
        self.status = status
    }
}

/// One switch of a system's `current` link (`GET /systems/{id}/history`):
/// what it ran from then on, installed or returned to by which deployment
/// on whose authority, and whether a later switch of the same deployment
/// undid an install.
public struct KernelSwitch: Codable, Sendable, Equatable {
    public var action: DeploymentOrder.Action
    /// Null: no slot (back to the system's own kernel).
    @ExplicitNull public var slot: KernelSlot?
    public var switchedAt: Date
    /// What the system ran after the switch; null: a kernel the farm did not build.
    @ExplicitNull public var artifact: ArtifactRef?
    @ExplicitNull public var kernelRelease: String?
    @ExplicitNull public var deployment: DeploymentRef?
    @ExplicitNull public var authorizer: UserRef?
    public var rolledBack: Bool

    public init(action: DeploymentOrder.Action, slot: KernelSlot?, switchedAt: Date, artifact: ArtifactRef?,
                kernelRelease: String?, deployment: DeploymentRef?, authorizer: UserRef?, rolledBack: Bool) {
        self.action = action
        self.slot = slot
        self.switchedAt = switchedAt
        self.artifact = artifact
        self.kernelRelease = kernelRelease
        self.deployment = deployment
        self.authorizer = authorizer
        self.rolledBack = rolledBack
    }
}

/// Where an artifact came from and where it went (`GET /artifacts/{id}/lineage`):
/// configuration → version → modules → build → initiator → artifact →
/// deployments → the systems that run it now.
public struct ArtifactLineage: Codable, Sendable, Equatable {
    public struct Deployment: Codable, Sendable, Equatable {
        @LowercaseUUID public var id: UUID
        public var status: DeploymentStatus
        public var createdAt: Date
        public var authorizer: UserRef
        public var targets: Int

        public init(id: UUID, status: DeploymentStatus, createdAt: Date, authorizer: UserRef, targets: Int) {
            self.id = id
            self.status = status
            self.createdAt = createdAt
            self.authorizer = authorizer
            self.targets = targets
        }
    }

    public struct RunningSystem: Codable, Sendable, Equatable {
        @LowercaseUUID public var id: UUID
        public var name: String
        @ExplicitNull public var activeSlot: KernelSlot?
        /// When it switched to the artifact.
        @ExplicitNull public var since: Date?

        public init(id: UUID, name: String, activeSlot: KernelSlot?, since: Date?) {
            self.id = id
            self.name = name
            self.activeSlot = activeSlot
            self.since = since
        }
    }

    public var artifact: ArtifactRef
    public var sha256: String
    public var kernelRelease: String
    public var architecture: Architecture
    public var createdAt: Date
    public var config: ConfigurationRef
    public var configVersion: VersionRef
    public var modules: [ConfigModule]
    public var build: BuildRef
    public var initiator: UserRef
    public var deployments: [Deployment]
    public var runningOn: [RunningSystem]

    public init(artifact: ArtifactRef, sha256: String, kernelRelease: String, architecture: Architecture, createdAt: Date,
                config: ConfigurationRef, configVersion: VersionRef, modules: [ConfigModule], build: BuildRef,
                initiator: UserRef, deployments: [Deployment], runningOn: [RunningSystem]) {
        self.artifact = artifact
        self.sha256 = sha256
        self.kernelRelease = kernelRelease
        self.architecture = architecture
        self.createdAt = createdAt
        self.config = config
        self.configVersion = configVersion
        self.modules = modules
        self.build = build
        self.initiator = initiator
        self.deployments = deployments
        self.runningOn = runningOn
    }
}
