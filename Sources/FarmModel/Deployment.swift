import Foundation

/// A deployment's life: scheduled → in_progress → completed | failed |
/// rolled_back, and cancelled while scheduled or in progress.
public enum DeploymentStatus: String, CaseIterable, Codable, Sendable {
    case scheduled, in_progress, completed, failed, rolled_back, cancelled

    public func canMove(to next: DeploymentStatus) -> Bool {
        switch (self, next) {
        case (.scheduled, .in_progress), (.scheduled, .cancelled),
             (.in_progress, .completed), (.in_progress, .failed), (.in_progress, .rolled_back), (.in_progress, .cancelled):
            true
        default:
            false
        }
    }

    /// Scheduled or in progress: its targets are spoken for.
    public var isActive: Bool { self == .scheduled || self == .in_progress }
}

/// One target system's part in a deployment: pending → in_progress →
/// completed | failed | rolled_back; pending targets are cancelled when the
/// deployment stops before reaching them; a completed target the rollout
/// asks to roll back ends rolled_back or failed. The moves are
/// `DeploymentTargetTransition`s.
public enum DeploymentTargetStatus: String, CaseIterable, Codable, Sendable {
    case pending, in_progress, completed, failed, rolled_back, cancelled
}

/// The seed's deployment options, with the health gate.
public struct DeploymentOptions: Codable, Sendable, Equatable {
    public var rollbackOnFailure: Bool
    /// At most this many targets install at once (a wave).
    public var maxParallelSystems: Int
    /// Reboot into the new kernel (run the agent's reboot/health command) after switching.
    public var forceReboot: Bool
    /// The rollout halts once more than this share of targets has failed.
    public var maxFailurePercentage: Int

    public init(rollbackOnFailure: Bool = false, maxParallelSystems: Int = 1, forceReboot: Bool = false,
                maxFailurePercentage: Int = 0) {
        self.rollbackOnFailure = rollbackOnFailure
        self.maxParallelSystems = maxParallelSystems
        self.forceReboot = forceReboot
        self.maxFailurePercentage = maxFailurePercentage
    }

    private enum CodingKeys: String, CodingKey { case rollbackOnFailure, maxParallelSystems, forceReboot, maxFailurePercentage }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rollbackOnFailure = try container.decodeIfPresent(Bool.self, forKey: .rollbackOnFailure) ?? false
        maxParallelSystems = try container.decodeIfPresent(Int.self, forKey: .maxParallelSystems) ?? 1
        forceReboot = try container.decodeIfPresent(Bool.self, forKey: .forceReboot) ?? false
        maxFailurePercentage = try container.decodeIfPresent(Int.self, forKey: .maxFailurePercentage) ?? 0
    }
}

/// The seed's `POST /deployments` request.
public struct NewDeployment: Codable, Sendable {
    public var buildArtifactId: UUID
    public var targetSystems: [UUID]
    /// Absent: now.
    public var scheduleFor: Date?
    public var options: DeploymentOptions?

    public init(buildArtifactId: UUID, targetSystems: [UUID], scheduleFor: Date? = nil, options: DeploymentOptions? = nil) {
        self.buildArtifactId = buildArtifactId
        self.targetSystems = targetSystems
        self.scheduleFor = scheduleFor
        self.options = options
    }

    /// How far in the past `scheduleFor` may be (clocks differ a little).
    public static let clockSkew: TimeInterval = 60

    public func validate(now: Date = Date()) throws(ValidationError) {
        var validator = Validator()
        if targetSystems.isEmpty { validator.fail("targetSystems", "must name at least one system") }
        if targetSystems.count > 1000 { validator.fail("targetSystems", "must name at most 1000 systems") }
        if Set(targetSystems).count != targetSystems.count { validator.fail("targetSystems", "must not name a system twice") }
        if let scheduleFor, scheduleFor < now.addingTimeInterval(-Self.clockSkew) {
            validator.fail("scheduleFor", "must not be in the past")
        }
        let options = options ?? DeploymentOptions()
        if !(1...1000).contains(options.maxParallelSystems) {
            validator.fail("options.maxParallelSystems", "must be between 1 and 1000")
        }
        if !(0...100).contains(options.maxFailurePercentage) {
            validator.fail("options.maxFailurePercentage", "must be between 0 and 100")
        }
        try validator.finish()
    }
}

/// A deployment as the seed's `GET /deployments/{id}` shows it.
public struct DeploymentRecord: Codable, Sendable, Equatable {
    public struct Target: Codable, Sendable, Equatable {
        @LowercaseUUID public var id: UUID
        public var name: String
        public var status: DeploymentTargetStatus
        @ExplicitNull public var startedAt: Date?
        @ExplicitNull public var completedAt: Date?
        /// `success`, or what went wrong; null until the target is done.
        @ExplicitNull public var result: String?

        public init(id: UUID, name: String, status: DeploymentTargetStatus, startedAt: Date?, completedAt: Date?, result: String?) {
            self.id = id
            self.name = name
            self.status = status
            self.startedAt = startedAt
            self.completedAt = completedAt
            self.result = result
        }
    }

    @LowercaseUUID public var id: UUID
    public var status: DeploymentStatus
    public var createdAt: Date
    public var scheduledFor: Date
    @ExplicitNull public var startedAt: Date?
    @ExplicitNull public var estimatedCompletion: Date?
    @ExplicitNull public var completedAt: Date?
    public var buildArtifact: ArtifactRef
    public var targetSystems: [Target]
    public var authorizer: UserRef
    public var options: DeploymentOptions

    public init(id: UUID, status: DeploymentStatus, createdAt: Date, scheduledFor: Date, startedAt: Date?,
                estimatedCompletion: Date?, completedAt: Date?, buildArtifact: ArtifactRef, targetSystems: [Target],
                authorizer: UserRef, options: DeploymentOptions) {
        self.id = id
        self.status = status
        self.createdAt = createdAt
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
        self.estimatedCompletion = estimatedCompletion
        self.completedAt = completedAt
        self.buildArtifact = buildArtifact
        self.targetSystems = targetSystems
        self.authorizer = authorizer
        self.options = options
    }
}
