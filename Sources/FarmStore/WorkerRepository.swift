import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Registered build workers and their claims on builds.
public struct WorkerRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Registers a worker under its token, or updates it when the same token
    /// registers the same name again (a restart). Another token's name is a conflict.
    public func register(_ registration: WorkerRegistration, token tokenID: UUID) async throws -> Worker {
        try registration.validate()
        // One spelling per offer (gcc-012.2.0 is gcc-12.2.0): offers name queues.
        let offers = registration.toolchains.map { Toolchain(architecture: $0.architecture,
                                                             compiler: CompilerRequest($0.compiler)?.description ?? $0.compiler) }
        let toolchains = String(decoding: try JSONEncoder().encode(offers), as: UTF8.self)
        let architectures = registration.architectures.map(\.rawValue)
        // A toolchain offered for the first time gets its queue declared by the relay.
        let id = try await client.query("""
            WITH worker AS (
                INSERT INTO workers (id, name, token_id, architectures, toolchains, cores, memory_mb, kernel_series)
                VALUES (\(UUID()), \(registration.name), \(tokenID), \(architectures), \(toolchains)::jsonb,
                        \(registration.cores), \(registration.memoryMb), \(registration.kernelSeries))
                ON CONFLICT (name) DO UPDATE SET
                    architectures = EXCLUDED.architectures, toolchains = EXCLUDED.toolchains, cores = EXCLUDED.cores,
                    memory_mb = EXCLUDED.memory_mb, kernel_series = EXCLUDED.kernel_series, last_heartbeat_at = now()
                WHERE workers.token_id = EXCLUDED.token_id
                RETURNING id
            ), queues AS (
                INSERT INTO toolchain_queues (architecture, toolchain)
                SELECT DISTINCT t->>'architecture', t->>'compiler' FROM jsonb_array_elements(\(toolchains)::jsonb) t
                WHERE EXISTS (SELECT 1 FROM worker)
                ON CONFLICT DO NOTHING
            )
            SELECT id FROM worker
            """, logger: logger).first { try $0.decode(UUID.self) }
        guard let id else {
            throw StoreError.conflict("a worker named \(registration.name) is registered with another token",
                                      details: ["name": registration.name])
        }
        return try await find(id: id)!
    }

    /// The toolchain queues the relay has to declare: those no relay has
    /// declared yet, or all of them (a relay that has just connected to a
    /// broker that may have lost them).
    public func toolchainQueues(undeclaredOnly: Bool) async throws -> [Toolchain] {
        try await client.query("""
            SELECT architecture, toolchain FROM toolchain_queues
            WHERE declared_at IS NULL OR NOT \(undeclaredOnly) ORDER BY architecture, toolchain
            """, logger: logger).all { try $0.decode((String, String).self) }
            .compactMap { architecture, toolchain in Architecture(rawValue: architecture).map { Toolchain(architecture: $0, compiler: toolchain) } }
    }

    /// Notes that these toolchain queues exist on the broker, bound.
    public func toolchainQueuesDeclared(_ queues: [Toolchain]) async throws {
        guard !queues.isEmpty else { return }
        try await client.query("""
            UPDATE toolchain_queues q SET declared_at = now()
            FROM unnest(\(queues.map(\.architecture.rawValue))::text[], \(queues.map(\.compiler))::text[]) AS d(architecture, toolchain)
            WHERE q.architecture = d.architecture AND q.toolchain = d.toolchain
            """, logger: logger)
    }

    /// The worker with every build it holds (as the worker itself sees it).
    public func find(id: UUID) async throws -> Worker? {
        try await client.snapshot(logger: logger) { connection in
            let worker = try await connection.query("SELECT * FROM worker_view WHERE id = \(id)", logger: logger).first(Self.decode)
            return try await Self.withBuilds(worker.map { [$0] } ?? [], visibleTo: nil, on: connection, logger: logger).first
        }
    }

    /// Every worker, by name, with the builds it holds that `viewer` may see.
    public func list(page: PageRequest, visibleTo viewer: User) async throws -> Page<Worker> {
        try await client.snapshot(logger: logger) { connection in
            let total = try await connection.query("SELECT count(*) FROM workers", logger: logger).first { try $0.decode(Int.self) } ?? 0
            let workers = try await connection.query("""
                SELECT * FROM worker_view ORDER BY name LIMIT \(page.limit) OFFSET \(page.offset)
                """, logger: logger).all(Self.decode)
            let items = try await Self.withBuilds(workers, visibleTo: viewer, on: connection, logger: logger)
            return Page(items: items, pagination: Pagination(total: total, request: page))
        }
    }

    /// Fills in the builds each worker holds under a live lease, only those
    /// in the projects `viewer` belongs to (all for a farm admin, or nil).
    private static func withBuilds(_ workers: [Worker], visibleTo viewer: User?, on connection: PostgresConnection,
                                   logger: Logger) async throws -> [Worker] {
        guard !workers.isEmpty else { return [] }
        let everything = viewer == nil || viewer?.role == .admin
        let held = try await connection.query("""
            SELECT b.worker_id, b.id, b.build_number, b.architecture, b.current_stage, b.progress
            FROM builds b JOIN configurations c ON c.id = b.configuration_id
            WHERE b.worker_id = ANY(\(workers.map(\.id))) AND b.status = 'in_progress' AND b.lease_expires_at > now()
              AND (\(everything) OR EXISTS (SELECT 1 FROM project_members m
                                           WHERE m.project_id = c.project_id AND m.user_id = \(viewer?.id)))
            ORDER BY b.build_number
            """, logger: logger).all { row -> (UUID, WorkerBuild) in
            let (worker, id, number, architecture, stage, progress) = try row.decode((UUID, UUID, String, String, String?, Int).self)
            return (worker, WorkerBuild(id: id, buildNumber: number, architecture: Architecture(rawValue: architecture) ?? .x86_64,
                                        currentStage: stage.flatMap(BuildStage.init), progress: progress))
        }
        return workers.map { worker in
            var worker = worker
            worker.currentBuilds = held.filter { $0.0 == worker.id }.map(\.1)
            return worker
        }
    }

    /// Claims a queued build attempt for the worker: exactly one claim wins.
    /// The loser, a stale attempt, a cancelled build or a build of an
    /// architecture the worker does not serve gets a conflict naming why.
    public func claim(_ buildID: UUID, _ claim: BuildClaim, token tokenID: UUID, lease: TimeInterval) async throws -> ClaimedBuild {
        try await client.transaction(logger: logger) { connection in
            try await Self.markAlive(claim.workerId, token: tokenID, on: connection, logger: logger)
            let claimed = try await connection.execute(
                Claim(buildID: buildID, workerID: claim.workerId, attempt: claim.attempt, lease: lease), logger: logger
            ).all { $0 }
            if claimed.isEmpty {
                let current = try await connection.query(
                    "SELECT status, attempt, architecture FROM builds WHERE id = \(buildID)", logger: logger
                ).first { try $0.decode((String, Int, String).self) }
                guard let (status, attempt, architecture) = current else {
                    throw StoreError.notFound(resource: "build", id: buildID.lowercased)
                }
                throw StoreError.conflict("the build cannot be claimed: it is \(status), attempt \(attempt), for \(architecture)",
                                          details: ["status": status, "attempt": String(attempt), "architecture": architecture])
            }
            let build = try await BuildRepository.record(buildID, on: connection, logger: logger)!
            let plan = try await Self.plan(of: build, on: connection, logger: logger)
            return ClaimedBuild(build: build, plan: plan)
        }
    }

    /// The kernel version, base configuration and modules the claimed build's configuration version asks for.
    private static func plan(of build: BuildRecord, on connection: PostgresConnection, logger: Logger) async throws -> BuildPlan {
        var plan = BuildPlan(baseVersion: "", modules: [])
        for try await row in try await connection.execute(PlanRows(id: build.configVersion.id), logger: logger) {
            let (baseVersion, baseConfig, storedConfig, sourceGit, sourceRef, externalModules, id, name, path, isBuiltin, isRequired,
                 parameters) = try row.decode(
                    (String, String, String?, String?, String?, String, UUID?, String?, String?, Bool?, Bool?, String?).self)
            plan.baseVersion = baseVersion
            plan.baseConfig = BaseConfig(rawValue: baseConfig) ?? .tinyconfig
            plan.storedConfig = storedConfig
            plan.source = GitSource(git: sourceGit, ref: sourceRef)
            plan.externalModules = try JSONDecoder().decode([ExternalModule].self, from: Data(externalModules.utf8))
            guard let id, let name, let isBuiltin, let isRequired, let parameters else { continue }
            plan.modules.append(ConfigModule(
                id: id, name: name, path: path, isBuiltin: isBuiltin, isRequired: isRequired,
                parameters: try JSONDecoder().decode([String: ModuleParameter].self, from: Data(parameters.utf8))))
        }
        return plan
    }

    /// A version's kernel and modules in one statement: every claim reads them.
    struct PlanRows: PreparedByID {
        static let sql = """
            SELECT c.base_version, c.base_config, c.stored_config, c.source_git, c.source_ref, c.external_modules::text, m.id, m.name, m.path, m.is_builtin, m.is_required,
                   m.parameters::text
            FROM configuration_versions v JOIN configurations c ON c.id = v.configuration_id
            LEFT JOIN config_modules m ON m.version_id = v.id
            WHERE v.id = $1 ORDER BY m.position
            """
        let id: UUID
    }

    /// Renews the lease on a build the worker holds; returns the new expiry.
    /// A build no longer held by this worker and attempt (cancelled,
    /// re-dispatched after a lost lease) is a conflict: the worker stops.
    public func heartbeat(_ buildID: UUID, _ claim: BuildClaim, token tokenID: UUID, lease: TimeInterval) async throws -> Date {
        try await client.transaction(logger: logger) { connection in
            try await Self.markAlive(claim.workerId, token: tokenID, on: connection, logger: logger)
            let renewed = try await connection.query("""
                UPDATE builds SET lease_expires_at = now() + make_interval(secs => \(lease))
                WHERE id = \(buildID) AND worker_id = \(claim.workerId) AND attempt = \(claim.attempt) AND status = 'in_progress'
                RETURNING lease_expires_at
                """, logger: logger).first { try $0.decode(Date.self) }
            if let renewed { return renewed }
            throw try await Self.whyNotHeld(buildID, on: connection, logger: logger)
        }
    }

    /// Records the git source and commit the worker checked out for the
    /// build's attempt it holds: a source other than the configuration's is
    /// refused. A retry reports again (a moved branch is another commit).
    public func reportSource(_ buildID: UUID, _ report: SourceReport, token tokenID: UUID) async throws {
        try await client.transaction(logger: logger) { connection in
            _ = try await Self.lockHeld(buildID, report.claim, token: tokenID, on: connection, logger: logger)
            let configured = try await connection.query("""
                SELECT c.source_git, c.source_ref FROM builds b JOIN configurations c ON c.id = b.configuration_id
                WHERE b.id = \(buildID)
                """, logger: logger).first { try $0.decode((String?, String?).self) }
            try report.validate(configured: configured.flatMap { GitSource(git: $0, ref: $1) })
            let source = String(decoding: try JSONEncoder().encode(report.source), as: UTF8.self)
            try await connection.query("UPDATE builds SET source = \(source)::jsonb WHERE id = \(buildID)", logger: logger)
        }
    }

    /// Checks that the calling worker holds the build's attempt (in
    /// progress, with this token), as for a heartbeat; otherwise the same
    /// validation error, conflict or not-found.
    public func checkHeld(_ buildID: UUID, _ claim: BuildClaim, token tokenID: UUID) async throws {
        try await client.transaction(logger: logger) { connection in
            _ = try await Self.lockHeld(buildID, claim, token: tokenID, on: connection, logger: logger)
        }
    }

    /// Locks a build the calling worker holds (in progress as its attempt)
    /// for a change it reports; otherwise a conflict saying why, as for a
    /// heartbeat. Returns the build's project.
    static func lockHeld(_ buildID: UUID, _ claim: BuildClaim, token tokenID: UUID, on connection: PostgresConnection,
                         logger: Logger) async throws -> UUID {
        try await markAlive(claim.workerId, token: tokenID, on: connection, logger: logger)
        let project = try await connection.query("""
            SELECT c.project_id FROM builds b JOIN configurations c ON c.id = b.configuration_id
            WHERE b.id = \(buildID) AND b.worker_id = \(claim.workerId) AND b.attempt = \(claim.attempt)
              AND b.status = 'in_progress'
            FOR UPDATE OF b
            """, logger: logger).first { try $0.decode(UUID.self) }
        if let project { return project }
        throw try await whyNotHeld(buildID, on: connection, logger: logger)
    }

    private static func whyNotHeld(_ buildID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> StoreError {
        let current = try await connection.query(
            "SELECT status, attempt FROM builds WHERE id = \(buildID)", logger: logger
        ).first { try $0.decode((String, Int).self) }
        guard let (status, attempt) = current else { return StoreError.notFound(resource: "build", id: buildID.lowercased) }
        return StoreError.conflict("this worker no longer holds the build: it is \(status), attempt \(attempt)",
                                   details: ["status": status, "attempt": String(attempt)])
    }

    /// Records that the worker was heard from; a worker of another token is
    /// a validation error on `workerId`. The row is written at most once a
    /// second: a worker with many builds would otherwise queue every claim
    /// behind its own row lock.
    private static func markAlive(_ workerID: UUID, token tokenID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let owned = try await connection.execute(MarkAlive(workerID: workerID, tokenID: tokenID), logger: logger).all { $0 }
        // The build in the path exists or not on its own account: a bad
        // worker id is the body's fault, not a missing resource.
        guard !owned.isEmpty else {
            throw ValidationError(field: "workerId", "no worker \(workerID.lowercased) is registered with this token (POST /workers)")
        }
    }

    private static func decode(_ row: PostgresRow) throws -> Worker {
        let (id, name, architectures, toolchains, cores, memory, registeredAt, heartbeat, busy, offline, series) =
            try row.decode((UUID, String, [String], String, Int, Int, Date, Date, Bool, Bool, [String]?).self)
        return Worker(
            id: id, name: name, architectures: architectures.compactMap(Architecture.init),
            toolchains: try JSONDecoder().decode([Toolchain].self, from: Data(toolchains.utf8)), cores: cores,
            memoryMb: memory, state: offline ? .offline : (busy ? .busy : .idle), registeredAt: registeredAt,
            lastHeartbeatAt: heartbeat, kernelSeries: series)
    }

    struct Claim: PreparedQuery {
        static let sql = """
            UPDATE builds b SET status = $5, worker_id = $2, claimed_at = now(),
                   lease_expires_at = now() + make_interval(secs => $4)
            FROM workers w
            WHERE b.id = $1 AND w.id = $2 AND b.status = ANY($6) AND b.attempt = $3
              AND b.architecture = ANY(w.architectures)
              AND (b.toolchain IS NULL OR w.toolchains @> jsonb_build_array(
                       jsonb_build_object('architecture', b.architecture, 'compiler', b.toolchain)))
            RETURNING b.id
            """
        let buildID: UUID
        let workerID: UUID
        let attempt: Int
        let lease: TimeInterval

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(buildID)
            bindings.append(workerID)
            bindings.append(attempt)
            bindings.append(lease)
            bindings.append(to: BuildTransition.claim)
            bindings.append(from: BuildTransition.claim)
            return bindings
        }
    }

    struct MarkAlive: PreparedQuery {
        static let sql = """
            WITH owned AS (SELECT id, last_heartbeat_at FROM workers WHERE id = $1 AND token_id = $2),
            touched AS (
                UPDATE workers w SET last_heartbeat_at = now() FROM owned
                WHERE w.id = owned.id AND owned.last_heartbeat_at < now() - interval '1 second'
            )
            SELECT id FROM owned
            """
        let workerID: UUID
        let tokenID: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(workerID)
            bindings.append(tokenID)
            return bindings
        }
    }
}
