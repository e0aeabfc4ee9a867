import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Target systems: created by release managers of their project, listed by members.
public struct SystemRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public struct Filter: Sendable {
        public var architecture: Architecture?
        /// Systems whose label `key` is `value`, or that have the label `key` when `value` is nil.
        public var label: (key: String, value: String?)?
        public var status: TargetSystem.Status?
        public var projectID: UUID?

        public init(architecture: Architecture? = nil, label: (key: String, value: String?)? = nil,
                    status: TargetSystem.Status? = nil, projectID: UUID? = nil) {
            self.architecture = architecture
            self.label = label
            self.status = status
            self.projectID = projectID
        }
    }

    /// Creates the system with an audit event; a name taken in its project is a conflict.
    public func create(_ request: NewTargetSystem, by actor: UUID) async throws -> TargetSystem {
        try request.validate()
        let id = UUID()
        let labels = String(decoding: try JSONEncoder().encode(request.labels ?? [:]), as: UTF8.self)
        try await translatingConflicts(unique: "a system with this name exists in the project", details: ["name": request.name]) {
            try await client.transaction(logger: logger) { connection in
                try await connection.query("""
                    INSERT INTO target_systems (id, name, architecture, project_id, labels)
                    VALUES (\(id), \(request.name), \(request.validArchitecture.rawValue), \(request.projectId), \(labels)::jsonb)
                    """, logger: logger)
                try await Audit.record("system.create", "system", id, project: request.projectId, by: actor,
                                       details: ["name": request.name, "architecture": request.architecture],
                                       on: connection, logger: logger)
            }
        }
        return try await find(id: id)!
    }

    /// Systems whose order queue the farm has not declared on the broker yet, oldest first.
    public func awaitingOrderQueue(limit: Int = 100) async throws -> [UUID] {
        try await client.query("""
            SELECT id FROM target_systems WHERE order_queue_declared_at IS NULL ORDER BY created_at LIMIT \(limit)
            """, logger: logger).all { try $0.decode(UUID.self) }
    }

    /// Notes that these systems' order queues exist on the broker.
    public func orderQueuesDeclared(_ ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        try await client.query("UPDATE target_systems SET order_queue_declared_at = now() WHERE id = ANY(\(ids))",
                               logger: logger)
    }

    public func find(id: UUID) async throws -> TargetSystem? {
        try await client.query("SELECT * FROM system_view WHERE id = \(id)", logger: logger).first(Self.decode)
    }

    /// The project a system belongs to, for authorization.
    public func project(ofSystem id: UUID) async throws -> UUID? {
        try await client.query("SELECT project_id FROM target_systems WHERE id = \(id)", logger: logger)
            .first { try $0.decode(UUID.self) }
    }

    /// Systems in the projects `viewer` belongs to (all for a farm admin), by name.
    public func list(_ filter: Filter, visibleTo viewer: User, page: PageRequest) async throws -> Page<TargetSystem> {
        let everything = viewer.role == .admin
        let arch = filter.architecture?.rawValue
        let status = filter.status?.rawValue
        let labelKey = filter.label?.key
        let label = try filter.label.flatMap { label in
            try label.value.map { String(decoding: try JSONEncoder().encode([label.key: $0]), as: UTF8.self) }
        }
        return try await client.snapshot(logger: logger) { connection in
            let (total, ids) = try await connection.query(.page(of: """
                SELECT s.id, s.name FROM system_view s
                WHERE (\(arch)::text IS NULL OR s.architecture = \(arch))
                  AND (\(status)::text IS NULL OR s.status = \(status))
                  AND (\(filter.projectID)::uuid IS NULL OR s.project_id = \(filter.projectID))
                  AND (\(label)::jsonb IS NULL OR s.labels::jsonb @> \(label)::jsonb)
                  AND (\(labelKey)::text IS NULL OR s.labels::jsonb ? \(labelKey))
                  AND (\(everything) OR EXISTS (SELECT 1 FROM project_members m
                                               WHERE m.project_id = s.project_id AND m.user_id = \(viewer.id)))
                """, orderedBy: "name, id", page), logger: logger).pageOfIDs()
            let items = try await connection.query("SELECT * FROM system_view WHERE id = ANY(\(ids))", logger: logger)
                .all(Self.decode).ordered(like: ids, by: \.id)
            return Page(items: items, pagination: Pagination(total: total, request: page))
        }
    }

    static func decode(_ row: PostgresRow) throws -> TargetSystem {
        let (id, name, arch, projectID, projectName, labels, status, artifactID, artifactName, slot, lastSeen, createdAt) =
            try row.decode((UUID, String, String, UUID, String, String, String, UUID?, String?, String?, Date?, Date).self)
        return TargetSystem(
            id: id, name: name, architecture: Architecture(rawValue: arch) ?? .x86_64,
            project: ProjectRef(id: projectID, name: projectName),
            labels: try JSONDecoder().decode([String: String].self, from: Data(labels.utf8)),
            status: TargetSystem.Status(rawValue: status) ?? .unknown,
            currentArtifact: artifactID.flatMap { id in artifactName.map { ArtifactRef(id: id, name: $0) } },
            activeSlot: slot, lastSeenAt: lastSeen, createdAt: createdAt)
    }
}
