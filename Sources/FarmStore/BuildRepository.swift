import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Builds and their stages. Submitting is one transaction: it locks the
/// configuration version, takes the day's next build number, writes the
/// build, its five pending stages, the dispatch message (outbox) and the
/// audit event together (with the other submits that arrive meanwhile; see
/// BuildSubmission.swift).
public struct BuildRepository: Sendable {
    let client: PostgresClient
    let logger: Logger
    let doorbell: OutboxDoorbell
    private let submissions: GroupCommit<BuildSubmission, BuildRecord>

    /// At most this many submits commit in one transaction.
    static let submitBatchLimit = 100

    init(client: PostgresClient, logger: Logger, doorbell: OutboxDoorbell) {
        self.client = client
        self.logger = logger
        self.doorbell = doorbell
        submissions = GroupCommit(limit: Self.submitBatchLimit) { batch in
            await Self.commit(batch, client: client, doorbell: doorbell, logger: logger)
        }
    }

    /// How long a build is expected to take when there is no history to go by.
    public static let defaultDuration: TimeInterval = 30 * 60
    /// How many of the latest comparable builds an estimate averages.
    static let estimateHistory = 20

    public struct Filter: Sendable {
        public var status: BuildStatus?
        public var configurationID: UUID?
        public var architecture: Architecture?
        public var initiatorID: UUID?

        public init(status: BuildStatus? = nil, configurationID: UUID? = nil, architecture: Architecture? = nil,
                    initiatorID: UUID? = nil) {
            self.status = status
            self.configurationID = configurationID
            self.architecture = architecture
            self.initiatorID = initiatorID
        }
    }

    /// The project a configuration version belongs to, for authorization.
    public func project(ofVersion versionID: UUID) async throws -> UUID? {
        try await client.query("""
            SELECT c.project_id FROM configuration_versions v JOIN configurations c ON c.id = v.configuration_id
            WHERE v.id = \(versionID)
            """, logger: logger).first { try $0.decode(UUID.self) }
    }

    /// The project a build belongs to, for authorization.
    public func project(ofBuild buildID: UUID) async throws -> UUID? {
        try await client.query("SELECT project_id FROM build_view WHERE id = \(buildID)", logger: logger)
            .first { try $0.decode(UUID.self) }
    }

    public func submit(_ request: NewBuild, by initiator: UUID) async throws -> BuildRecord {
        try request.validate()
        return try await submissions.submit(BuildSubmission(request: request, initiator: initiator, retryOf: nil))
    }

    /// Cancels a queued or running build. A running one also gets a cancel
    /// command for its worker (through the outbox); a finished one is a conflict.
    public func cancel(_ id: UUID, by actor: UUID) async throws -> BuildRecord {
        try await client.transaction(logger: logger, ringing: doorbell) { connection in
            let found = try await connection.query("""
                SELECT b.status, b.attempt, c.project_id FROM builds b JOIN configurations c ON c.id = b.configuration_id
                WHERE b.id = \(id) FOR UPDATE OF b
                """, logger: logger).first { try $0.decode((String, Int, UUID).self) }
            guard let (statusText, attempt, projectID) = found, let status = BuildStatus(rawValue: statusText) else {
                throw StoreError.notFound(resource: "build", id: id.lowercased)
            }
            guard status.canMove(to: .cancelled) else {
                throw StoreError.conflict("the build is \(status.rawValue) and cannot be cancelled", details: ["status": status.rawValue])
            }
            try await connection.query("""
                UPDATE builds SET status = \(to: BuildTransition.cancel), completed_at = now(), current_stage = NULL
                WHERE id = \(id) AND status = ANY(\(from: BuildTransition.cancel))
                """, logger: logger)
            try await AttemptEnding.closeStages(of: id, on: connection, logger: logger)
            if status == .in_progress {
                try await Outbox.enqueue(BuildControl(buildId: id, attempt: attempt, action: .cancel),
                                         on: connection, logger: logger)
            }
            try await Audit.record("build.cancel", "build", id, project: projectID, by: actor,
                                   details: ["from": status.rawValue], on: connection, logger: logger)
            return try await Self.record(id, on: connection, logger: logger)!
        }
    }

    /// Submits a failed or cancelled build again, as a new build with the
    /// same version, environment, priority and options.
    public func retry(_ id: UUID, by initiator: UUID) async throws -> BuildRecord {
        guard let original = try await find(id: id) else { throw StoreError.notFound(resource: "build", id: id.lowercased) }
        guard original.status == .failed || original.status == .cancelled else {
            throw StoreError.conflict("only failed or cancelled builds are retried; this one is \(original.status.rawValue)",
                                      details: ["status": original.status.rawValue])
        }
        let request = NewBuild(configVersionId: original.configVersion.id, environment: original.environment,
                               priority: original.priority, options: original.options)
        return try await submissions.submit(BuildSubmission(request: request, initiator: initiator, retryOf: id))
    }

    /// Builds whose worker stopped renewing its lease (killed, machine gone):
    /// each goes back to the queue as the next attempt with a new dispatch
    /// message, or fails as an infrastructure failure after `maxAttempts`.
    @discardableResult
    public func reapExpiredLeases(maxAttempts: Int) async throws -> (requeued: [UUID], failed: [UUID]) {
        try await client.transaction(logger: logger, ringing: doorbell) { connection in
            let expired = try await connection.query("""
                SELECT b.id, b.attempt, b.architecture, b.priority, c.project_id, b.toolchain
                FROM builds b JOIN configurations c ON c.id = b.configuration_id
                WHERE b.status = ANY(\(from: BuildTransition.requeue)) AND b.lease_expires_at < now()
                ORDER BY b.lease_expires_at LIMIT 100
                FOR UPDATE OF b SKIP LOCKED
                """, logger: logger).all(RunningAttempt.decode)
            var requeued: [UUID] = []
            var failed: [UUID] = []
            for running in expired {
                let outcome = BuildOutcome.failed(.infrastructure, "worker lost: the lease expired")
                switch try await AttemptEnding.end(running, outcome, maxAttempts: maxAttempts, on: connection, logger: logger) {
                case .requeued: requeued.append(running.id)
                case .failed, .completed: failed.append(running.id)
                }
            }
            return (requeued, failed)
        }
    }

    /// Dispatches again each build still queued `after` seconds after its
    /// dispatch was last sent: the message may be gone (purged or rejected
    /// by a worker that may read its architecture's queue, or a broker that
    /// lost it), and a copy costs only a lost claim.
    public func redispatchStale(after seconds: TimeInterval) async throws -> [UUID] {
        try await client.transaction(logger: logger, ringing: doorbell) { connection in
            let stale = try await connection.query("""
                WITH stale AS (
                    SELECT b.id FROM builds b
                    WHERE b.status = 'queued' AND b.dispatched_at < now() - make_interval(secs => \(seconds))
                    ORDER BY b.dispatched_at LIMIT 100
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE builds b SET dispatched_at = now() FROM stale, configurations c
                WHERE b.id = stale.id AND c.id = b.configuration_id
                RETURNING b.id, b.attempt, b.architecture, b.priority, c.project_id, b.toolchain
                """, logger: logger).all(RunningAttempt.decode)
            for build in stale {
                try await Outbox.enqueue(build.dispatch(attempt: build.attempt), on: connection, logger: logger)
            }
            return stale.map(\.id)
        }
    }

    public func find(id: UUID) async throws -> BuildRecord? {
        try await client.snapshot(logger: logger) { connection in
            try await Self.record(id, on: connection, logger: logger)
        }
    }

    /// Builds in the projects `viewer` belongs to (all for a farm admin), newest first.
    public func list(_ filter: Filter, visibleTo viewer: User, page: PageRequest) async throws -> Page<BuildRecord> {
        let everything = viewer.role == .admin
        let status = filter.status?.rawValue
        let arch = filter.architecture?.rawValue
        return try await client.snapshot(logger: logger) { connection in
            let (total, ids) = try await connection.query(.page(of: """
                SELECT b.id, b.started_at FROM build_view b
                WHERE (\(status)::text IS NULL OR b.status = \(status))
                  AND (\(filter.configurationID)::uuid IS NULL OR b.configuration_id = \(filter.configurationID))
                  AND (\(arch)::text IS NULL OR b.architecture = \(arch))
                  AND (\(filter.initiatorID)::uuid IS NULL OR b.initiator_id = \(filter.initiatorID))
                  AND (\(everything) OR EXISTS (SELECT 1 FROM project_members m
                                               WHERE m.project_id = b.project_id AND m.user_id = \(viewer.id)))
                """, orderedBy: "started_at DESC, id", page), logger: logger).pageOfIDs()
            var items: [BuildRecord] = []
            for id in ids {
                if let record = try await Self.record(id, on: connection, logger: logger) { items.append(record) }
            }
            return Page(items: items, pagination: Pagination(total: total, request: page))
        }
    }

    static func record(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> BuildRecord? {
        let stages = try await connection.execute(StageRows(id: id), logger: logger).all { row -> StageRecord in
            let (name, status, startedAt, completedAt) = try row.decode((String, String, Date?, Date?).self)
            return StageRecord(name: BuildStage(rawValue: name) ?? .initialization, status: StageStatus(rawValue: status) ?? .pending,
                               startedAt: startedAt, completedAt: completedAt)
        }
        let row = try await connection.execute(BuildViewRow(id: id), logger: logger).first { $0 }
        guard let row else { return nil }
        let (id, number, status, progress, startedAt, estimate, completedAt, versionID, version, configurationID,
             configurationName, initiatorID, initiatorName, architecture, environment, priority, options, attempt,
             currentStage, retryOf, _, failureKind, failureReason, claimedAt, artifactID, cachedFrom, findings,
             toolchain, source) = try row.decode(
                (UUID, String, String, Int, Date, Date, Date?, UUID, String, UUID, String, UUID, String, String, String,
                 String, String, Int, String?, UUID?, UUID, String?, String?, Date?, UUID?, UUID?, String, String?,
                 String?).self)
        var failure: BuildFailure?
        if let kind = failureKind.flatMap(BuildFailure.Kind.init) {
            failure = BuildFailure(kind: kind, reason: failureReason ?? "", logTail: try await BuildLogRepository.tail(
                of: id, attempt: attempt, lines: BuildFailure.tailLength, on: connection, logger: logger))
        }
        return BuildRecord(
            id: id, buildNumber: number, status: BuildStatus(rawValue: status) ?? .queued, progress: progress,
            startedAt: startedAt, estimatedCompletion: estimate, completedAt: completedAt,
            configVersion: VersionRef(id: versionID, version: version),
            config: ConfigurationRef(id: configurationID, name: configurationName),
            initiator: UserRef(id: initiatorID, username: initiatorName),
            architecture: Architecture(rawValue: architecture) ?? .x86_64, environment: environment,
            priority: BuildPriority(rawValue: priority) ?? .normal,
            options: try JSONDecoder().decode(BuildOptions.self, from: Data(options.utf8)), attempt: attempt,
            currentStage: currentStage.flatMap(BuildStage.init), stages: stages, retryOf: retryOf?.lowercased, failure: failure,
            claimedAt: claimedAt, artifactId: artifactID?.lowercased, cachedFrom: cachedFrom?.lowercased, toolchain: toolchain,
            source: try source.map { try JSONDecoder().decode(BuildSource.self, from: Data($0.utf8)) },
            findings: try JSONDecoder().decode(BuildFindings.self, from: Data(findings.utf8)))
    }

    struct StageRows: PreparedByID {
        static let sql = "SELECT name, status, started_at, completed_at FROM build_stages WHERE build_id = $1 ORDER BY position"
        let id: UUID
    }

    struct BuildViewRow: PreparedByID {
        static let sql = "SELECT * FROM build_view WHERE id = $1"
        let id: UUID
    }
}
