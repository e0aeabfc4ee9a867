import FarmModel
import FarmStore
import Foundation

/// Decides what a user may do in a project, with the role the endpoint
/// table requires. A non-member is told the project (or the resource asked
/// for) does not exist (404), so ids never reveal other teams' work; a
/// member whose role is too low gets 403 naming the role needed. Farm
/// admins act as project admins everywhere.
struct AccessPolicy: Sendable {
    let projects: ProjectRepository

    /// Checks the caller against the endpoint's project role in `projectID`.
    func authorize(_ projectID: UUID, _ context: FarmRequestContext, hidden: APIError? = nil) async throws {
        let user = try context.requireUser()
        guard let needed = context.requiredProjectRole else {
            preconditionFailure("authorize(_:_:) called from an endpoint without a project requirement")
        }
        guard let role = try await projects.effectiveRole(of: user, in: projectID) else {
            throw hidden ?? APIError.notFound("project", projectID.lowercased)
        }
        guard role >= needed else {
            throw APIError.forbidden(
                "this action needs the \(needed.rawValue) role in the project",
                details: ["requiredRole": .string(needed.rawValue), "yourRole": .string(role.rawValue)])
        }
    }

    /// The id in the `:id` parameter, once the caller has the endpoint's role
    /// in the project `project(id)` names; a resource that does not exist
    /// and one in a project the caller is not in are both a 404 on `resource`.
    func visible(_ resource: String, _ context: FarmRequestContext, project: (UUID) async throws -> UUID?) async throws -> UUID {
        let id = try context.uuid("id")
        let notFound = APIError.notFound(resource, id.lowercased)
        guard let projectID = try await project(id) else { throw notFound }
        try await authorize(projectID, context, hidden: notFound)
        return id
    }
}
