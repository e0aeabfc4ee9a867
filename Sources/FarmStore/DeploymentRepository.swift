import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Deployments of an artifact to target systems. Creating one checks the
/// artifact, the systems (same project, same architecture, not spoken for
/// by another active deployment: their rows are locked meanwhile) and
/// writes the deployment, its targets and an audit event in one transaction.
public struct DeploymentRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Until rollouts have history to go by: how long one wave of targets is expected to take.
    public static let waveEstimate: TimeInterval = 5 * 60

    public struct Filter: Sendable {
        public var status: DeploymentStatus?
        public var artifactID: UUID?
        public var systemID: UUID?

        public init(status: DeploymentStatus? = nil, artifactID: UUID? = nil, systemID: UUID? = nil) {
            self.status = status
            self.artifactID = artifactID
            self.systemID = systemID
        }
    }

    public func create(_ request: NewDeployment, by authorizer: UUID) async throws -> DeploymentRecord {
        try request.validate()
        let options = request.options ?? DeploymentOptions()
        let id = UUID()
        try await client.transaction(logger: logger) { connection in
            let artifact = try await connection.query("""
                SELECT architecture, project_id FROM artifact_view WHERE id = \(request.buildArtifactId)
                """, logger: logger).first { try $0.decode((String, UUID).self) }
            guard let (architecture, projectID) = artifact else {
                throw StoreError.notFound(resource: "artifact", id: request.buildArtifactId.lowercased)
            }
            var systems: [UUID: (name: String, architecture: String)] = [:]
            for try await (systemID, name, arch) in try await connection.query("""
                SELECT id, name, architecture FROM target_systems
                WHERE id = ANY(\(request.targetSystems)) AND project_id = \(projectID)
                ORDER BY id FOR UPDATE
                """, logger: logger).decode((UUID, String, String).self) {
                systems[systemID] = (name, arch)
            }
            if let missing = request.targetSystems.first(where: { systems[$0] == nil }) {
                throw StoreError.notFound(resource: "targetSystem", id: missing.lowercased)
            }
            let mismatched = request.targetSystems.compactMap { systems[$0] }.filter { $0.architecture != architecture }
            if !mismatched.isEmpty {
                throw ValidationError(field: "targetSystems", "the artifact is for \(architecture); these systems run another "
                                      + "architecture: " + mismatched.map { "\($0.name) (\($0.architecture))" }.joined(separator: ", "))
            }
            let busy = try await connection.query("""
                SELECT DISTINCT s.name FROM deployment_targets t
                JOIN deployments d ON d.id = t.deployment_id JOIN target_systems s ON s.id = t.system_id
                WHERE t.system_id = ANY(\(request.targetSystems)) AND d.status IN ('scheduled', 'in_progress')
                ORDER BY s.name
                """, logger: logger).all { try $0.decode(String.self) }
            if !busy.isEmpty {
                throw StoreError.conflict("systems already in an active deployment: \(busy.joined(separator: ", "))",
                                          details: ["systems": busy.joined(separator: ",")])
            }
            let waves = (request.targetSystems.count + options.maxParallelSystems - 1) / options.maxParallelSystems
            let encodedOptions = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
            try await connection.query("""
                INSERT INTO deployments (id, artifact_id, project_id, status, options, authorizer_id, scheduled_for,
                                         estimated_completion)
                SELECT \(id), \(request.buildArtifactId), \(projectID), 'scheduled', \(encodedOptions)::jsonb, \(authorizer),
                       date_trunc('second', s.at), date_trunc('second', s.at) + make_interval(secs => \(Double(waves) * Self.waveEstimate))
                FROM (SELECT COALESCE(\(request.scheduleFor)::timestamptz, now()) AS at) AS s
                """, logger: logger)
            try await connection.query("""
                INSERT INTO deployment_targets (deployment_id, system_id, position, status)
                SELECT \(id), t.id, t.n, 'pending' FROM unnest(\(request.targetSystems)::uuid[]) WITH ORDINALITY AS t(id, n)
                """, logger: logger)
            try await Audit.record("deployment.create", "deployment", id, project: projectID, by: authorizer,
                                   details: ["artifact": request.buildArtifactId.lowercased,
                                             "systems": String(request.targetSystems.count)],
                                   on: connection, logger: logger)
        }
        return try await find(id: id)!
    }

    /// Cancels a scheduled or running deployment; its pending targets are cancelled with it.
    public func cancel(_ id: UUID, by actor: UUID) async throws -> DeploymentRecord {
        try await client.transaction(logger: logger) { connection in
            let found = try await connection.query("""
                SELECT status, project_id FROM deployments WHERE id = \(id) FOR UPDATE
                """, logger: logger).first { try $0.decode((String, UUID).self) }
            guard let (statusText, projectID) = found, let status = DeploymentStatus(rawValue: statusText) else {
                throw StoreError.notFound(resource: "deployment", id: id.lowercased)
            }
            guard status.canMove(to: .cancelled) else {
                throw StoreError.conflict("the deployment is \(status.rawValue) and cannot be cancelled",
                                          details: ["status": status.rawValue])
            }
            try await connection.query("""
                UPDATE deployments SET status = 'cancelled', completed_at = now() WHERE id = \(id)
                """, logger: logger)
            try await connection.query("""
                UPDATE deployment_targets SET status = \(to: DeploymentTargetTransition.cancel), completed_at = now(),
                       result = 'cancelled before it started'
                WHERE deployment_id = \(id) AND status = ANY(\(from: DeploymentTargetTransition.cancel))
                """, logger: logger)
            try await Audit.record("deployment.cancel", "deployment", id, project: projectID, by: actor,
                                   details: ["from": status.rawValue], on: connection, logger: logger)
        }
        return try await find(id: id)!
    }

    /// The project a deployment belongs to, for authorization.
    public func project(ofDeployment id: UUID) async throws -> UUID? {
        try await client.query("SELECT project_id FROM deployments WHERE id = \(id)", logger: logger)
            .first { try $0.decode(UUID.self) }
    }

    public func find(id: UUID) async throws -> DeploymentRecord? {
        try await client.snapshot(logger: logger) { connection in
            try await Self.records([id], on: connection, logger: logger).first
        }
    }

    /// Deployments in the projects `viewer` belongs to (all for a farm admin), newest first.
    public func list(_ filter: Filter, visibleTo viewer: User, page: PageRequest) async throws -> Page<DeploymentRecord> {
        let everything = viewer.role == .admin
        let status = filter.status?.rawValue
        return try await client.snapshot(logger: logger) { connection in
            let (total, ids) = try await connection.query(.page(of: """
                SELECT d.id, d.created_at FROM deployments d
                WHERE (\(status)::text IS NULL OR d.status = \(status))
                  AND (\(filter.artifactID)::uuid IS NULL OR d.artifact_id = \(filter.artifactID))
                  AND (\(filter.systemID)::uuid IS NULL OR EXISTS (
                           SELECT 1 FROM deployment_targets t WHERE t.deployment_id = d.id AND t.system_id = \(filter.systemID)))
                  AND (\(everything) OR EXISTS (SELECT 1 FROM project_members m
                                               WHERE m.project_id = d.project_id AND m.user_id = \(viewer.id)))
                """, orderedBy: "created_at DESC, id", page), logger: logger).pageOfIDs()
            let items = try await Self.records(ids, on: connection, logger: logger)
            return Page(items: items, pagination: Pagination(total: total, request: page))
        }
    }

    /// The deployments `ids` names, in that order, with their targets: two queries for a whole page.
    static func records(_ ids: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [DeploymentRecord] {
        var targets: [UUID: [DeploymentRecord.Target]] = [:]
        for try await (deploymentID, systemID, name, status, startedAt, completedAt, result) in try await connection.query("""
            SELECT t.deployment_id, s.id, s.name, t.status, t.started_at, t.completed_at, t.result
            FROM deployment_targets t JOIN target_systems s ON s.id = t.system_id
            WHERE t.deployment_id = ANY(\(ids)) ORDER BY t.deployment_id, t.position
            """, logger: logger).decode((UUID, UUID, String, String, Date?, Date?, String?).self) {
            targets[deploymentID, default: []].append(DeploymentRecord.Target(
                id: systemID, name: name, status: DeploymentTargetStatus(rawValue: status) ?? .pending,
                startedAt: startedAt, completedAt: completedAt, result: result))
        }
        return try await connection.query("""
            SELECT d.id, d.status, d.created_at, d.scheduled_for, d.started_at, d.estimated_completion, d.completed_at,
                   a.id, a.name, u.id, u.username, d.options::text
            FROM deployments d JOIN artifacts a ON a.id = d.artifact_id JOIN users u ON u.id = d.authorizer_id
            WHERE d.id = ANY(\(ids))
            """, logger: logger).all { row -> DeploymentRecord in
            let (id, status, createdAt, scheduledFor, startedAt, estimate, completedAt, artifactID, artifactName, authorizerID,
                 authorizer, options) =
                try row.decode((UUID, String, Date, Date, Date?, Date?, Date?, UUID, String, UUID, String, String).self)
            return DeploymentRecord(
                id: id, status: DeploymentStatus(rawValue: status) ?? .scheduled, createdAt: createdAt, scheduledFor: scheduledFor,
                startedAt: startedAt, estimatedCompletion: estimate, completedAt: completedAt,
                buildArtifact: ArtifactRef(id: artifactID, name: artifactName), targetSystems: targets[id] ?? [],
                authorizer: UserRef(id: authorizerID, username: authorizer),
                options: try JSONDecoder().decode(DeploymentOptions.self, from: Data(options.utf8)))
        }.ordered(like: ids, by: \.id)
    }
}
