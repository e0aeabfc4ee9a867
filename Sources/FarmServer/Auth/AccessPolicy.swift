import FarmModel
import FarmStore
import Foundation

/// Decides what a user may do in a project. A non-member is told the
/// project does not exist (404), so ids never reveal other teams' work; a
/// member whose role is too low gets 403 naming the role needed. Farm
/// admins act as project admins everywhere.
struct AccessPolicy: Sendable {
    let projects: ProjectRepository

    /// The user's effective role in the project. Non-members get `hidden`:
    /// by default "project not found", or the resource they asked for.
    @discardableResult
    func require(
        _ needed: ProjectRole, in projectID: UUID, for user: User, hidden: APIError? = nil
    ) async throws -> ProjectRole {
        guard let role = try await projects.effectiveRole(of: user, in: projectID) else {
            throw hidden ?? APIError.notFound("project", projectID.lowercased)
        }
        guard role >= needed else {
            throw APIError.forbidden(
                "this action needs the \(needed.rawValue) role in the project",
                details: ["requiredRole": .string(needed.rawValue), "yourRole": .string(role.rawValue)])
        }
        return role
    }

    /// Farm-wide administration (users, projects).
    func requireFarmAdmin(_ user: User) throws {
        guard user.role == .admin else { throw APIError.forbidden("this action needs a farm admin") }
    }
}
