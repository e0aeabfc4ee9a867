import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Projects and who belongs to them with which role.
public struct ProjectRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Creates the project and makes its creator the project's admin, in one transaction.
    public func create(_ request: NewProject, creator: UUID) async throws -> Project {
        try request.validate()
        let id = UUID()
        let description = request.description ?? ""
        return try await translatingConflicts(unique: "a project with this name exists", details: ["name": request.name]) {
            try await client.transaction(logger: logger) { connection in
                try await connection.query("""
                    INSERT INTO projects (id, name, description, created_by)
                    VALUES (\(id), \(request.name), \(description), \(creator))
                    """, logger: logger)
                try await connection.query("""
                    INSERT INTO project_members (project_id, user_id, role)
                    VALUES (\(id), \(creator), \(ProjectRole.admin.rawValue))
                    """, logger: logger)
                try await Audit.record("project.create", "project", id, project: id, by: creator,
                                       details: ["name": request.name], on: connection, logger: logger)
                return try await connection.query("SELECT * FROM project_view WHERE id = \(id)", logger: logger)
                    .first { try $0.decodeProject() }!
            }
        }
    }

    public func find(id: UUID) async throws -> Project? {
        try await client.query("SELECT * FROM project_view WHERE id = \(id)", logger: logger)
            .first { try $0.decodeProject() }
    }

    /// The projects `viewer` belongs to (all of them for a farm admin), newest first.
    public func list(visibleTo viewer: User, page: PageRequest) async throws -> Page<Project> {
        let everything = viewer.role == .admin
        let (total, ids) = try await client.query(.page(of: """
            SELECT p.id, p.created_at FROM projects p
            WHERE \(everything)
               OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = \(viewer.id))
            """, orderedBy: "created_at DESC, id", page), logger: logger).pageOfIDs()
        let projects = try await client.query("SELECT * FROM project_view WHERE id = ANY(\(ids))", logger: logger)
            .all { try $0.decodeProject() }
        return Page(items: projects.ordered(like: ids, by: \.id), pagination: Pagination(total: total, request: page))
    }

    /// What `user` may do in the project: nil when the project does not
    /// exist or the user is not a member; farm admins are admins everywhere.
    public func effectiveRole(of user: User, in projectID: UUID) async throws -> ProjectRole? {
        let isFarmAdmin = user.role == .admin
        let role = try await client.query("""
            SELECT CASE WHEN \(isFarmAdmin) THEN 'admin' ELSE m.role END
            FROM projects p
            LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = \(user.id)
            WHERE p.id = \(projectID)
            """, logger: logger).first { try $0.decode(String?.self) }
        return role.flatMap { $0.flatMap(ProjectRole.init(rawValue:)) }
    }

    public func members(of projectID: UUID) async throws -> [ProjectMember] {
        try await client.query("""
            SELECT u.id, u.username, m.role, m.added_at
            FROM project_members m JOIN users u ON u.id = m.user_id
            WHERE m.project_id = \(projectID)
            ORDER BY u.username
            """, logger: logger).all(Self.decodeMember)
    }

    /// Adds the user to the project or changes their role.
    public func setMember(_ userID: UUID, role: ProjectRole, in projectID: UUID, by actor: Actor) async throws -> ProjectMember {
        try await client.transaction(logger: logger) { connection in
            let member = try await connection.query("""
                WITH upserted AS (
                    INSERT INTO project_members (project_id, user_id, role)
                    SELECT \(projectID), u.id, \(role.rawValue) FROM users u WHERE u.id = \(userID)
                    ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role
                    RETURNING user_id, role, added_at
                )
                SELECT u.id, u.username, x.role, x.added_at FROM upserted x JOIN users u ON u.id = x.user_id
                """, logger: logger).first(Self.decodeMember)
            guard let member else { throw StoreError.notFound(resource: "user", id: userID.lowercased) }
            try await Audit.record("project.member.set", "user", userID, project: projectID, by: actor,
                                   details: ["role": role.rawValue], on: connection, logger: logger)
            return member
        }
    }

    /// Removes a membership; false when there was none.
    public func removeMember(_ userID: UUID, from projectID: UUID, by actor: Actor) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            let removed = try await connection.query("""
                DELETE FROM project_members WHERE project_id = \(projectID) AND user_id = \(userID) RETURNING user_id
                """, logger: logger).collect()
            guard !removed.isEmpty else { return false }
            try await Audit.record("project.member.remove", "user", userID, project: projectID, by: actor,
                                   on: connection, logger: logger)
            return true
        }
    }

    private static func decodeMember(_ row: PostgresRow) throws -> ProjectMember {
        let (id, username, role, addedAt) = try row.decode((UUID, String, String, Date).self)
        return ProjectMember(user: UserRef(id: id, username: username), role: ProjectRole(rawValue: role) ?? .viewer,
                             addedAt: addedAt)
    }
}
