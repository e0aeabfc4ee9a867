import FarmModel
import Foundation
import Logging
import PostgresNIO

/// One build asked for: by POST /builds, or by a retry of `retryOf`.
struct BuildSubmission: Sendable {
    let request: NewBuild
    let initiator: UUID
    let retryOf: UUID?
}

/// Submitting builds, in batches (see `GroupCommit`). One transaction locks
/// the configurations (share locks: submits of one configuration run side by
/// side, its writers wait), checks every submission, locks versions built
/// for the first time, and writes the accepted builds, their five stages,
/// dispatch messages and audit events in one statement that takes the day's
/// build-number counter once. A submission that cannot be accepted (unknown
/// version, compiler nobody offers) gets its own error; the others go on.
extension BuildRepository {
    /// The submissions' answers in order; a failure of the transaction itself
    /// is every submission's answer.
    @Sendable static func commit(
        _ submissions: [BuildSubmission], client: PostgresClient, doorbell: OutboxDoorbell, logger: Logger
    ) async -> [Result<BuildRecord, any Error>] {
        do {
            return try await client.transaction(logger: logger, ringing: doorbell) { connection in
                try await insert(submissions, on: connection, logger: logger)
            }
        } catch {
            return submissions.map { _ in .failure(error) }
        }
    }

    /// What a submission's version and initiator resolve to.
    private struct Resolved {
        let configurationID: UUID
        let configurationName: String
        let architecture: Architecture
        let version: String
        let isLocked: Bool
        let projectID: UUID
        let username: String
        let expectedDuration: Double?
        let baseVersion: String
        /// The offer the build is routed to, when it names a compiler.
        var toolchain: String?
    }

    /// What the registered workers of an architecture can build.
    private struct Offers {
        /// What the workers that registered offer, and those of them now online
        /// (a build routed to a toolchain must find it; one that names none waits for any gcc).
        var compilers: [String]
        var liveCompilers: [String]
        /// Some worker takes any kernel version (its recipe does not depend on it).
        var anyVersion: Bool
        var kernelSeries: [String]
        /// Whether any worker of the architecture has registered at all.
        var registered: Bool
    }

    private static func insert(
        _ submissions: [BuildSubmission], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Result<BuildRecord, any Error>] {
        let resolved = try await resolve(submissions, on: connection, logger: logger)
        let offers = try await offered(for: resolved, on: connection, logger: logger)
        var accepted: [(index: Int, submission: BuildSubmission, resolved: Resolved)] = []
        var results: [Result<BuildRecord, any Error>?] = Array(repeating: nil, count: submissions.count)
        for (index, submission) in submissions.enumerated() {
            do {
                guard var found = resolved[index] else {
                    throw StoreError.notFound(resource: "configurationVersion", id: submission.request.configVersionId.lowercased)
                }
                let offer = offers[found.architecture] ?? Offers(compilers: [], liveCompilers: [], anyVersion: false, kernelSeries: [],
                                                                  registered: false)
                if let compiler = submission.request.options?.compilerVersion {
                    found.toolchain = try routed(compiler, for: found.architecture, offers: offer.liveCompilers)
                } else if offer.registered {
                    try requireDefaultCompiler(for: found.architecture, offers: offer.compilers)
                }
                try requireBuildable(found.baseVersion, for: found.architecture, offer)
                accepted.append((index, submission, found))
            } catch {
                results[index] = .failure(error)
            }
        }
        guard !accepted.isEmpty else { return results.map { $0! } }
        try await lockVersions(accepted.map { ($0.submission, $0.resolved) }, on: connection, logger: logger)
        let records = try await write(accepted.map { ($0.submission, $0.resolved) }, on: connection, logger: logger)
        for (entry, record) in zip(accepted, records) { results[entry.index] = .success(record) }
        return results.map { $0! }
    }

    /// Each submission's configuration (share-locked), version and initiator;
    /// nil where the version or user does not exist. The estimate averages
    /// the recent history only: it costs the same after a million builds.
    private static func resolve(
        _ submissions: [BuildSubmission], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Resolved?] {
        let versionIDs = submissions.map(\.request.configVersionId)
        let initiators = submissions.map(\.initiator)
        var resolved: [Resolved?] = Array(repeating: nil, count: submissions.count)
        let rows = try await connection.query("""
            WITH estimates AS MATERIALIZED (
                SELECT c.id, COALESCE(
                    (SELECT extract(epoch FROM avg(d))::float8 FROM (
                        SELECT completed_at - started_at AS d FROM builds
                        WHERE configuration_id = c.id AND status = 'completed'
                        ORDER BY completed_at DESC LIMIT \(estimateHistory)) AS recent),
                    (SELECT extract(epoch FROM avg(d))::float8 FROM (
                        SELECT completed_at - started_at AS d FROM builds
                        WHERE architecture = c.architecture AND status = 'completed'
                        ORDER BY completed_at DESC LIMIT \(estimateHistory)) AS recent)) AS expected
                FROM configurations c
                WHERE c.id IN (SELECT configuration_id FROM configuration_versions WHERE id = ANY(\(versionIDs)))
            )
            SELECT r.n, c.id, c.name, c.architecture, v.version, v.is_locked, c.project_id, u.username, e.expected, c.base_version
            FROM unnest(\(versionIDs)::uuid[], \(initiators)::uuid[]) WITH ORDINALITY AS r(version_id, user_id, n)
            JOIN configuration_versions v ON v.id = r.version_id
            JOIN configurations c ON c.id = v.configuration_id
            JOIN users u ON u.id = r.user_id
            JOIN estimates e ON e.id = c.id
            FOR SHARE OF c
            """, logger: logger)
        for try await row in rows {
            let (n, configurationID, name, architecture, version, isLocked, projectID, username, expected, baseVersion) =
                try row.decode((Int, UUID, String, String, String, Bool, UUID, String, Double?, String).self)
            guard let architecture = Architecture(rawValue: architecture) else { continue }
            resolved[n - 1] = Resolved(
                configurationID: configurationID, configurationName: name, architecture: architecture, version: version,
                isLocked: isLocked, projectID: projectID, username: username, expectedDuration: expected,
                baseVersion: baseVersion)
        }
        return resolved
    }

    /// What the registered workers offer for the submissions' architectures.
    private static func offered(
        for resolved: [Resolved?], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Architecture: Offers] {
        let architectures = Array(Set(resolved.compactMap { $0?.architecture.rawValue }))
        guard !architectures.isEmpty else { return [:] }
        var offers: [Architecture: Offers] = [:]
        let rows = try await connection.query("""
            SELECT a.arch,
                ARRAY(SELECT DISTINCT t->>'compiler' FROM workers w, jsonb_array_elements(w.toolchains) t
                      WHERE t->>'architecture' = a.arch ORDER BY 1),
                ARRAY(SELECT DISTINCT t->>'compiler' FROM worker_view w, jsonb_array_elements(w.toolchains::jsonb) t
                      WHERE t->>'architecture' = a.arch AND NOT w.offline ORDER BY 1),
                EXISTS (SELECT 1 FROM workers w WHERE a.arch = ANY(w.architectures) AND w.kernel_series IS NULL),
                ARRAY(SELECT DISTINCT s FROM workers w, unnest(w.kernel_series) AS s WHERE a.arch = ANY(w.architectures)
                      ORDER BY 1),
                EXISTS (SELECT 1 FROM workers w WHERE a.arch = ANY(w.architectures))
            FROM unnest(\(architectures)::text[]) AS a(arch)
            """, logger: logger)
        for try await (architecture, compilers, live, anyVersion, series, registered) in rows.decode(
            (String, [String], [String], Bool, [String], Bool).self) {
            if let architecture = Architecture(rawValue: architecture) {
                offers[architecture] = Offers(compilers: compilers, liveCompilers: live, anyVersion: anyVersion,
                                              kernelSeries: series, registered: registered)
            }
        }
        return offers
    }

    /// A configuration's kernel version must be one the architecture's
    /// workers build (once any has registered: before that the farm cannot
    /// know, and the build waits for one).
    private static func requireBuildable(_ baseVersion: String, for architecture: Architecture, _ offer: Offers) throws {
        guard offer.registered, !offer.anyVersion else { return }
        guard !offer.kernelSeries.contains(KernelSeries.of(baseVersion)) else { return }
        let available = offer.kernelSeries.map { "\($0).x" }.joined(separator: ", ")
        throw ValidationError(field: "configVersionId", "the configuration's baseVersion \(baseVersion) cannot be built: the farm's "
                              + "\(architecture.rawValue) workers build \(available.isEmpty ? "no kernel versions" : available)")
    }

    /// The newest toolchain online workers offer for the architecture that
    /// matches the compiler asked for (`gcc` and `gcc-12` match
    /// `gcc-12.2.0`): the build is routed to it. None: the build could never start.
    private static func routed(_ compiler: String, for architecture: Architecture, offers: [String]) throws -> String {
        guard let best = CompilerRequest(compiler)?.best(of: offers) else {
            throw ValidationError(field: "options.compilerVersion",
                                  "no worker offers \(compiler) for \(architecture.rawValue); available: \(describe(offers, architecture))")
        }
        return best
    }

    /// A build that names no compiler is built with a gcc, the farm's
    /// default: once workers of the architecture have registered, one must have it.
    private static func requireDefaultCompiler(for architecture: Architecture, offers: [String]) throws {
        guard CompilerRequest.farmDefault.best(of: offers) == nil else { return }
        throw ValidationError(field: "options", "no compilerVersion given, and no worker offers the default "
                              + "\(CompilerRequest.farmDefault) for \(architecture.rawValue); available: \(describe(offers, architecture))")
    }

    private static func describe(_ offers: [String], _ architecture: Architecture) -> String {
        offers.isEmpty ? "none (no worker for \(architecture.rawValue) is online)" : offers.joined(separator: ", ")
    }

    /// Versions built for the first time become immutable, each with an
    /// audit event. Rows are locked in id order so concurrent batches of
    /// several replicas cannot deadlock on them.
    private static func lockVersions(
        _ accepted: [(BuildSubmission, Resolved)], on connection: PostgresConnection, logger: Logger
    ) async throws {
        var firstSubmission: [UUID: (BuildSubmission, Resolved)] = [:]
        for (submission, resolved) in accepted where !resolved.isLocked {
            firstSubmission[submission.request.configVersionId] = firstSubmission[submission.request.configVersionId]
                ?? (submission, resolved)
        }
        guard !firstSubmission.isEmpty else { return }
        let locked = try await connection.query("""
            UPDATE configuration_versions SET is_locked = true, locked_at = now()
            WHERE id IN (SELECT id FROM configuration_versions WHERE id = ANY(\(Array(firstSubmission.keys))) AND NOT is_locked
                         ORDER BY id FOR UPDATE)
            RETURNING id
            """, logger: logger).all { try $0.decode(UUID.self) }
        for versionID in locked {
            guard let (submission, resolved) = firstSubmission[versionID] else { continue }
            try await Audit.record("configuration.version.lock", "configuration", resolved.configurationID,
                                   project: resolved.projectID, by: submission.initiator,
                                   details: ["version": resolved.version, "reason": "build submitted"],
                                   on: connection, logger: logger)
        }
    }

    /// The builds, numbered in order from the day's counter, with their
    /// stages, dispatch messages and audit events, in one statement: the
    /// counter row is held from here to the commit only.
    private static func write(
        _ accepted: [(BuildSubmission, Resolved)], on connection: PostgresConnection, logger: Logger
    ) async throws -> [BuildRecord] {
        let encoder = JSONEncoder()
        var ids: [UUID] = [], configurations: [UUID] = [], versions: [UUID] = [], architectures: [String] = []
        var environments: [String] = [], priorities: [String] = [], options: [String] = [], initiators: [UUID] = []
        var estimates: [Date] = [], retries: [String] = [], projects: [UUID] = [], versionTexts: [String] = []
        var exchanges: [String] = [], routingKeys: [String] = [], dispatches: [String] = [], amqpPriorities: [Int16] = []
        var toolchains: [String] = []
        for (submission, resolved) in accepted {
            let id = UUID()
            let priority = submission.request.validPriority
            ids.append(id)
            configurations.append(resolved.configurationID)
            versions.append(submission.request.configVersionId)
            architectures.append(resolved.architecture.rawValue)
            environments.append(submission.request.environment ?? "default")
            priorities.append(priority.rawValue)
            options.append(String(decoding: try encoder.encode(submission.request.options ?? BuildOptions()), as: UTF8.self))
            initiators.append(submission.initiator)
            estimates.append(Date().addingTimeInterval(resolved.expectedDuration ?? defaultDuration))
            retries.append(submission.retryOf?.lowercased ?? "")
            projects.append(resolved.projectID)
            versionTexts.append(resolved.version)
            toolchains.append(resolved.toolchain ?? "")
            let dispatch = try Outbox.Row(BuildDispatch(buildId: id, attempt: 1, architecture: resolved.architecture,
                                                        priority: priority, toolchain: resolved.toolchain))
            exchanges.append(dispatch.exchange)
            routingKeys.append(dispatch.routingKey)
            dispatches.append(dispatch.body)
            amqpPriorities.append(dispatch.priority)
        }
        let stageNames = BuildStage.allCases.map(\.rawValue)
        let count = accepted.count
        var written: [UUID: (number: String, startedAt: Date)] = [:]
        let rows = try await connection.query("""
            WITH input AS MATERIALIZED (
                SELECT * FROM unnest(\(ids)::uuid[], \(configurations)::uuid[], \(versions)::uuid[], \(architectures)::text[],
                                     \(environments)::text[], \(priorities)::text[], \(options)::text[], \(initiators)::uuid[],
                                     \(estimates)::timestamptz[], \(retries)::text[], \(projects)::uuid[], \(versionTexts)::text[],
                                     \(exchanges)::text[], \(routingKeys)::text[], \(dispatches)::text[],
                                     \(amqpPriorities)::int2[], \(toolchains)::text[])
                    WITH ORDINALITY AS i(id, configuration_id, version_id, architecture, environment, priority, options,
                                         initiator_id, estimated_completion, retry_of, project_id, version, exchange,
                                         routing_key, dispatch, amqp_priority, toolchain, n)
            ), dispatched AS (
                INSERT INTO outbox (exchange, routing_key, priority, body)
                SELECT exchange, routing_key, amqp_priority, dispatch FROM input ORDER BY n
            ), counter AS (
                INSERT INTO build_day_counters (day, last) VALUES ((now() AT TIME ZONE 'UTC')::date, \(count))
                ON CONFLICT (day) DO UPDATE SET last = build_day_counters.last + \(count)
                RETURNING day, last - \(count) AS before
            ), numbered AS MATERIALIZED (
                SELECT i.*, 'BUILD-' || to_char(counter.day, 'YYYY-MM-DD') || '-'
                    || lpad((counter.before + i.n)::text, GREATEST(3, length((counter.before + i.n)::text)), '0') AS number
                FROM input i, counter
            ), build AS (
                INSERT INTO builds (id, build_number, configuration_id, version_id, architecture, environment, priority,
                                    options, status, initiator_id, estimated_completion, retry_of, toolchain)
                SELECT id, number, configuration_id, version_id, architecture, environment, priority, options::jsonb,
                       \(to: BuildTransition.submit),
                       initiator_id, estimated_completion, NULLIF(retry_of, '')::uuid, NULLIF(toolchain, '')
                FROM numbered ORDER BY n
                RETURNING id, build_number, started_at
            ), stages AS (
                INSERT INTO build_stages (build_id, position, name, status)
                SELECT build.id, s.position - 1, s.name, 'pending'
                FROM build, unnest(\(stageNames)::text[]) WITH ORDINALITY AS s(name, position)
            ), audited AS (
                INSERT INTO audit_events (actor_id, action, resource_type, resource_id, project_id, details)
                SELECT initiator_id, 'build.submit', 'build', id::text, project_id,
                       jsonb_strip_nulls(jsonb_build_object('buildNumber', number, 'version', version, 'priority', priority,
                                                            'retryOf', NULLIF(retry_of, '')))
                FROM numbered ORDER BY n
            )
            SELECT id, build_number, started_at FROM build
            """, logger: logger)
        for try await (id, number, startedAt) in rows.decode((UUID, String, Date).self) {
            written[id] = (number, startedAt)
        }
        return try zip(accepted, zip(ids, estimates)).map { entry, idAndEstimate in
            let (submission, resolved) = entry
            let (id, estimate) = idAndEstimate
            guard let (number, startedAt) = written[id] else { throw StoreError.notFound(resource: "build", id: id.lowercased) }
            return BuildRecord(
                id: id, buildNumber: number, status: .queued, progress: 0, startedAt: startedAt, estimatedCompletion: estimate,
                completedAt: nil, configVersion: VersionRef(id: submission.request.configVersionId, version: resolved.version),
                config: ConfigurationRef(id: resolved.configurationID, name: resolved.configurationName),
                initiator: UserRef(id: submission.initiator, username: resolved.username),
                architecture: resolved.architecture, environment: submission.request.environment ?? "default",
                priority: submission.request.validPriority, options: submission.request.options ?? BuildOptions(), attempt: 1,
                currentStage: nil,
                stages: BuildStage.allCases.map { StageRecord(name: $0, status: .pending, startedAt: nil, completedAt: nil) },
                retryOf: submission.retryOf?.lowercased, failure: nil, claimedAt: nil, toolchain: resolved.toolchain)
        }
    }
}
