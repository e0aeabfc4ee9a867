import Foundation

/// A configuration version as a build refers to it.
public struct VersionRef: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var version: String

    public init(id: UUID, version: String) {
        self.id = id
        self.version = version
    }
}

/// One stage of a build as the seed shows it.
public struct StageRecord: Codable, Sendable, Equatable {
    public var name: BuildStage
    public var status: StageStatus
    @ExplicitNull public var startedAt: Date?
    @ExplicitNull public var completedAt: Date?

    public init(name: BuildStage, status: StageStatus, startedAt: Date?, completedAt: Date?) {
        self.name = name
        self.status = status
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}

/// A build as the seed's `GET /builds/{id}` shows it (`POST /builds` shows
/// the same fields; `stages` are all pending then).
public struct BuildRecord: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var buildNumber: String
    public var status: BuildStatus
    public var progress: Int
    public var startedAt: Date
    public var estimatedCompletion: Date
    @ExplicitNull public var completedAt: Date?
    public var configVersion: VersionRef
    public var config: ConfigurationRef
    public var initiator: UserRef
    public var architecture: Architecture
    public var environment: String
    public var priority: BuildPriority
    public var options: BuildOptions
    public var attempt: Int
    @ExplicitNull public var currentStage: BuildStage?
    public var stages: [StageRecord]
    /// The id of the build this one retries, if it is a retry.
    @ExplicitNull public var retryOf: String?
    /// Why a failed build failed; null otherwise.
    @ExplicitNull public var failure: BuildFailure?
    /// When a worker claimed the current attempt; null while it waits in the queue.
    @ExplicitNull public var claimedAt: Date?
    /// The kernel artifact the build delivered (`GET /artifacts/{id}`); null until it has one.
    @ExplicitNull public var artifactId: String?
    /// When the build reused an earlier build's artifact (same inputs): that build's id.
    @ExplicitNull public var cachedFrom: String?
    /// The toolchain offer a build that named a compiler was routed to, e.g.
    /// `clang-16.0.6`; null: the worker's newest gcc (the artifact names it).
    @ExplicitNull public var toolchain: String?
    /// The git source and the commit its ref named when the build started
    /// (the worker reports it); null for the workers' source package, and until then.
    @ExplicitNull public var source: BuildSource?
    /// Kconfig symbols the build enabled because a requested one depends on them.
    public var enabledDependencies: [BuildFindings.EnabledSymbol]
    /// What the build could not do as asked but went on without (an optional module, a parameter not applied).
    public var warnings: [String]

    public init(
        id: UUID, buildNumber: String, status: BuildStatus, progress: Int, startedAt: Date, estimatedCompletion: Date,
        completedAt: Date?, configVersion: VersionRef, config: ConfigurationRef, initiator: UserRef, architecture: Architecture,
        environment: String, priority: BuildPriority, options: BuildOptions, attempt: Int, currentStage: BuildStage?,
        stages: [StageRecord], retryOf: String?, failure: BuildFailure?, claimedAt: Date?, artifactId: String? = nil,
        cachedFrom: String? = nil, toolchain: String? = nil, source: BuildSource? = nil,
        findings: BuildFindings = BuildFindings()
    ) {
        self.id = id
        self.buildNumber = buildNumber
        self.status = status
        self.progress = progress
        self.startedAt = startedAt
        self.estimatedCompletion = estimatedCompletion
        self.completedAt = completedAt
        self.configVersion = configVersion
        self.config = config
        self.initiator = initiator
        self.architecture = architecture
        self.environment = environment
        self.priority = priority
        self.options = options
        self.attempt = attempt
        self.currentStage = currentStage
        self.stages = stages
        self.retryOf = retryOf
        self.failure = failure
        self.claimedAt = claimedAt
        self.artifactId = artifactId
        self.cachedFrom = cachedFrom
        self.toolchain = toolchain
        self.source = source
        self.enabledDependencies = findings.enabledDependencies
        self.warnings = findings.warnings
    }
}

/// The message that asks a worker of `architecture` to run a build attempt,
/// published to `kfarm.builds`: a build that names no compiler goes to the
/// architecture's queue (routing key `x86_64`), which workers with a gcc
/// take; one that names a compiler goes to the queue of the exact toolchain
/// the farm chose for it (`x86_64.clang-16.0.6`), which only workers with
/// that toolchain take.
public struct BuildDispatch: BusMessage, Equatable {
    public static let schema = "kfarm.build.dispatch/1"

    public var schema: String
    @LowercaseUUID public var buildId: UUID
    public var attempt: Int
    public var architecture: Architecture
    public var priority: BuildPriority
    /// The toolchain offer the build runs with, e.g. `clang-16.0.6`; nil: the worker's newest gcc.
    public var toolchain: String?

    public init(buildId: UUID, attempt: Int, architecture: Architecture, priority: BuildPriority, toolchain: String? = nil) {
        self.schema = Self.schema
        self.buildId = buildId
        self.attempt = attempt
        self.architecture = architecture
        self.priority = priority
        self.toolchain = toolchain
    }

    public var exchange: String { BusNames.buildsExchange }
    public var routingKey: String { BusNames.buildRoutingKey(architecture, toolchain: toolchain) }
    public var amqpPriority: UInt8 { priority.amqpPriority }
}

/// Why a build failed. `build` failures (compiler errors, Kconfig
/// verification) are never retried automatically; `infrastructure` ones
/// (worker lost, out of disk or memory, toolchain missing) are retried on
/// another worker until the attempt limit.
public struct BuildFailure: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case build, infrastructure
    }

    public var kind: Kind
    public var reason: String
    /// The last lines of the failed attempt's log.
    public var logTail: [String]
    /// How many lines `logTail` holds at most.
    public static let tailLength = 20

    public init(kind: Kind, reason: String, logTail: [String] = []) {
        self.kind = kind
        self.reason = reason
        self.logTail = logTail
    }

    private enum CodingKeys: String, CodingKey { case kind, reason, logTail }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        reason = try container.decode(String.self, forKey: .reason)
        logTail = try container.decodeIfPresent([String].self, forKey: .logTail) ?? []
    }
}

/// A command for the worker running a build, published to `kfarm.control`
/// with routing key `build.<id>.<action>`.
public struct BuildControl: BusMessage, Equatable {
    public static let schema = "kfarm.build.control/1"

    public enum Action: String, Codable, Sendable {
        case cancel
    }

    public var schema: String
    @LowercaseUUID public var buildId: UUID
    public var attempt: Int
    public var action: Action

    public init(buildId: UUID, attempt: Int, action: Action) {
        self.schema = Self.schema
        self.buildId = buildId
        self.attempt = attempt
        self.action = action
    }

    public var exchange: String { BusNames.controlExchange }
    public var routingKey: String { "build.\(buildId.lowercased).\(action.rawValue)" }
}
