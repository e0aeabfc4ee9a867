import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Builds and their stages. Submitting is one transaction: it locks the
/// configuration version, takes the day's next build number, writes the
/// build, its five pending stages, the dispatch message (outbox) and the
/// audit event together.
public struct BuildRepository: Sendable {
    let client: PostgresClient
    let logger: Logger
    let doorbell: OutboxDoorbell

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
        try await submit(request, by: initiator, retrying: nil)
    }

    /// Every submit takes the day's counter row, so submits take turns there:
    /// the counter comes last, with the build and its stages in one
    /// statement, and the answer is put together from what the transaction
    /// already knows rather than read back.
    private func submit(_ request: NewBuild, by initiator: UUID, retrying original: UUID?) async throws -> BuildRecord {
        try request.validate()
        let id = UUID()
        let priority = request.validPriority
        let options = request.options ?? BuildOptions()
        let environment = request.environment ?? "default"
        let optionsJSON = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
        return try await client.transaction(logger: logger, ringing: doorbell) { connection in
            // A share lock: submits of one configuration run side by side; its
            // writers (new versions, module edits) wait for them. The estimate
            // averages the recent history only: it costs the same after a
            // million builds.
            let found = try await connection.query("""
                SELECT c.id, c.name, c.architecture, v.version, v.is_locked, c.project_id, u.username,
                    COALESCE(
                        (SELECT extract(epoch FROM avg(d))::float8 FROM (
                            SELECT completed_at - started_at AS d FROM builds
                            WHERE configuration_id = c.id AND status = 'completed'
                            ORDER BY completed_at DESC LIMIT \(Self.estimateHistory)) AS recent),
                        (SELECT extract(epoch FROM avg(d))::float8 FROM (
                            SELECT completed_at - started_at AS d FROM builds
                            WHERE architecture = c.architecture AND status = 'completed'
                            ORDER BY completed_at DESC LIMIT \(Self.estimateHistory)) AS recent))
                FROM configuration_versions v JOIN configurations c ON c.id = v.configuration_id, users u
                WHERE v.id = \(request.configVersionId) AND u.id = \(initiator)
                FOR SHARE OF c
                """, logger: logger).first { try $0.decode((UUID, String, String, String, Bool, UUID, String, Double?).self) }
            guard let (configurationID, configurationName, architectureText, versionText, isLocked, projectID, username,
                       expected) = found,
                  let architecture = Architecture(rawValue: architectureText) else {
                throw StoreError.notFound(resource: "configurationVersion", id: request.configVersionId.lowercased)
            }
            if let compiler = options.compilerVersion {
                try await Self.requireOffered(compiler, for: architectureText, on: connection, logger: logger)
            }
            if !isLocked {
                let locked = try await connection.query("""
                    UPDATE configuration_versions SET is_locked = true, locked_at = now()
                    WHERE id = \(request.configVersionId) AND NOT is_locked RETURNING id
                    """, logger: logger).collect()
                if !locked.isEmpty {
                    try await Audit.record("configuration.version.lock", "configuration", configurationID, project: projectID,
                                           by: initiator, details: ["version": versionText, "reason": "build submitted"],
                                           on: connection, logger: logger)
                }
            }
            let estimate = Date().addingTimeInterval(expected ?? Self.defaultDuration)
            let dispatch = BuildDispatch(buildId: id, attempt: 1, architecture: architecture, priority: priority)
            try await Outbox.enqueue(
                exchange: BusNames.buildsExchange, routingKey: architecture.rawValue, priority: priority.amqpPriority,
                message: dispatch, on: connection, logger: logger)
            let stageNames = BuildStage.allCases.map(\.rawValue)
            let (number, startedAt) = try await connection.query("""
                WITH counter AS (
                    INSERT INTO build_day_counters (day, last) VALUES ((now() AT TIME ZONE 'UTC')::date, 1)
                    ON CONFLICT (day) DO UPDATE SET last = build_day_counters.last + 1
                    RETURNING 'BUILD-' || to_char(day, 'YYYY-MM-DD') || '-' || lpad(last::text, GREATEST(3, length(last::text)), '0')
                        AS number
                ), build AS (
                    INSERT INTO builds (id, build_number, configuration_id, version_id, architecture, environment, priority,
                                        options, status, initiator_id, estimated_completion, retry_of)
                    SELECT \(id), counter.number, \(configurationID), \(request.configVersionId), \(architectureText),
                           \(environment), \(priority.rawValue), \(optionsJSON)::jsonb, 'queued', \(initiator), \(estimate),
                           \(original)
                    FROM counter
                    RETURNING id, build_number, started_at
                ), stages AS (
                    INSERT INTO build_stages (build_id, position, name, status)
                    SELECT build.id, s.position - 1, s.name, 'pending'
                    FROM build, unnest(\(stageNames)::text[]) WITH ORDINALITY AS s(name, position)
                )
                SELECT build_number, started_at FROM build
                """, logger: logger).first { try $0.decode((String, Date).self) }!
            var details = ["buildNumber": number, "version": versionText, "priority": priority.rawValue]
            if let original { details["retryOf"] = original.lowercased }
            try await Audit.record("build.submit", "build", id, project: projectID, by: initiator,
                                   details: details, on: connection, logger: logger)
            return BuildRecord(
                id: id, buildNumber: number, status: .queued, progress: 0, startedAt: startedAt, estimatedCompletion: estimate,
                completedAt: nil, configVersion: VersionRef(id: request.configVersionId, version: versionText),
                config: ConfigurationRef(id: configurationID, name: configurationName),
                initiator: UserRef(id: initiator, username: username), architecture: architecture, environment: environment,
                priority: priority, options: options, attempt: 1, currentStage: nil,
                stages: BuildStage.allCases.map { StageRecord(name: $0, status: .pending, startedAt: nil, completedAt: nil) },
                retryOf: original?.lowercased, failure: nil, claimedAt: nil)
        }
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
                UPDATE builds SET status = 'cancelled', completed_at = now(), current_stage = NULL WHERE id = \(id)
                """, logger: logger)
            try await AttemptEnding.closeStages(of: id, on: connection, logger: logger)
            if status == .in_progress {
                let control = BuildControl(buildId: id, attempt: attempt, action: .cancel)
                try await Outbox.enqueue(exchange: BusNames.controlExchange, routingKey: control.routingKey, priority: 0,
                                         message: control, on: connection, logger: logger)
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
        return try await submit(request, by: initiator, retrying: id)
    }

    /// Builds whose worker stopped renewing its lease (killed, machine gone):
    /// each goes back to the queue as the next attempt with a new dispatch
    /// message, or fails as an infrastructure failure after `maxAttempts`.
    @discardableResult
    public func reapExpiredLeases(maxAttempts: Int) async throws -> (requeued: [UUID], failed: [UUID]) {
        try await client.transaction(logger: logger, ringing: doorbell) { connection in
            let expired = try await connection.query("""
                SELECT b.id, b.attempt, b.architecture, b.priority, c.project_id
                FROM builds b JOIN configurations c ON c.id = b.configuration_id
                WHERE b.status = 'in_progress' AND b.lease_expires_at < now()
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
            let (total, ids) = try await connection.query("""
                WITH matching AS (
                    SELECT b.id, b.started_at FROM build_view b
                    WHERE (\(status)::text IS NULL OR b.status = \(status))
                      AND (\(filter.configurationID)::uuid IS NULL OR b.configuration_id = \(filter.configurationID))
                      AND (\(arch)::text IS NULL OR b.architecture = \(arch))
                      AND (\(filter.initiatorID)::uuid IS NULL OR b.initiator_id = \(filter.initiatorID))
                      AND (\(everything) OR EXISTS (SELECT 1 FROM project_members m
                                                   WHERE m.project_id = b.project_id AND m.user_id = \(viewer.id)))
                )
                SELECT (SELECT count(*) FROM matching), p.id
                FROM (SELECT 1) AS anchor
                LEFT JOIN (
                    SELECT * FROM matching ORDER BY started_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
                ) AS p ON true
                ORDER BY p.started_at DESC, p.id
                """, logger: logger).pageOfIDs()
            var items: [BuildRecord] = []
            for id in ids {
                if let record = try await Self.record(id, on: connection, logger: logger) { items.append(record) }
            }
            return Page(items: items, pagination: Pagination(total: total, request: page))
        }
    }

    /// A compiler asked for must be one a registered worker offers for the
    /// architecture; otherwise the build could never start.
    private static func requireOffered(_ compiler: String, for architecture: String, on connection: PostgresConnection,
                                       logger: Logger) async throws {
        let offered = try await connection.query("""
            SELECT DISTINCT t->>'compiler' FROM workers w, jsonb_array_elements(w.toolchains) t
            WHERE t->>'architecture' = \(architecture) ORDER BY 1
            """, logger: logger).all { try $0.decode(String.self) }
        guard offered.contains(compiler) else {
            let available = offered.isEmpty ? "none (no worker for \(architecture) has joined)" : offered.joined(separator: ", ")
            throw ValidationError(field: "options.compilerVersion",
                                  "no worker offers \(compiler) for \(architecture); available: \(available)")
        }
    }

    static func record(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> BuildRecord? {
        let stages = try await connection.query("""
            SELECT name, status, started_at, completed_at FROM build_stages WHERE build_id = \(id) ORDER BY position
            """, logger: logger).all { row -> StageRecord in
            let (name, status, startedAt, completedAt) = try row.decode((String, String, Date?, Date?).self)
            return StageRecord(name: BuildStage(rawValue: name) ?? .initialization, status: StageStatus(rawValue: status) ?? .pending,
                               startedAt: startedAt, completedAt: completedAt)
        }
        let row = try await connection.query("SELECT * FROM build_view WHERE id = \(id)", logger: logger).first { $0 }
        guard let row else { return nil }
        let (id, number, status, progress, startedAt, estimate, completedAt, versionID, version, configurationID,
             configurationName, initiatorID, initiatorName, architecture, environment, priority, options, attempt,
             currentStage, retryOf, _, failureKind, failureReason, claimedAt) = try row.decode(
                (UUID, String, String, Int, Date, Date, Date?, UUID, String, UUID, String, UUID, String, String, String,
                 String, String, Int, String?, UUID?, UUID, String?, String?, Date?).self)
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
            claimedAt: claimedAt)
    }
}
