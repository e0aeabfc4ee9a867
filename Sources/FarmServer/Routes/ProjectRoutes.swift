import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// Projects and their members. Farm admins create projects; project admins
/// manage members; any member reads.
struct ProjectRoutes {
    let store: Store
    let access: AccessPolicy

    struct MemberRole: Decodable {
        var role: String

        func validated() throws -> ProjectRole {
            guard let role = ProjectRole(rawValue: role) else {
                let allowed = ProjectRole.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError(field: "role", "must be one of: \(allowed)")
            }
            return role
        }
    }

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/projects", .farmAdmin) { request, context in
                let body = try await request.decodeJSON(as: NewProject.self, context: context)
                let project = try await store.projects.create(body, creator: try context.requireUser().id)
                return try Response.success(project, status: .created)
            },
            Endpoint(.get, "/projects", .user) { request, context in
                let page = try await store.projects.list(visibleTo: try context.requireUser(), page: try request.pageRequest())
                return try Response.success(Listing(key: "projects", page: page))
            },
            Endpoint(.get, "/projects/:id", .project(.viewer)) { _, context in
                try Response.success(try await visibleProject(context))
            },
            Endpoint(.get, "/projects/:id/members", .project(.viewer)) { _, context in
                let project = try await visibleProject(context)
                return try Response.success(["members": try await store.projects.members(of: project.id)])
            },
            Endpoint(.put, "/projects/:id/members/:userId", .project(.admin)) { request, context in
                let project = try await visibleProject(context)
                let userID = try context.uuid("userId")
                let role = try await request.decodeJSON(as: MemberRole.self, context: context).validated()
                let member = try await store.projects.setMember(userID, role: role, in: project.id, by: try context.requireUser().id)
                return try Response.success(member)
            },
            Endpoint(.delete, "/projects/:id/members/:userId", .project(.admin)) { _, context in
                let project = try await visibleProject(context)
                let userID = try context.uuid("userId")
                guard try await store.projects.removeMember(userID, from: project.id, by: try context.requireUser().id) else {
                    throw APIError.notFound("projectMember", userID.lowercased)
                }
                return Response(status: .noContent)
            },
        ]
    }

    /// The project named by `:id`, if the caller has the endpoint's role in it.
    private func visibleProject(_ context: FarmRequestContext) async throws -> Project {
        let id = try context.uuid("id")
        try await access.authorize(id, context)
        guard let project = try await store.projects.find(id: id) else { throw APIError.notFound("project", id.lowercased) }
        return project
    }
}
