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
            Endpoint(.post, "/projects") { request, context in
                let user = try context.requireUser()
                try access.requireFarmAdmin(user)
                let body = try await request.decodeJSON(as: NewProject.self, context: context)
                return try Response.success(try await store.projects.create(body, creator: user.id), status: .created)
            },
            Endpoint(.get, "/projects") { request, context in
                let page = try await store.projects.list(visibleTo: try context.requireUser(), page: try request.pageRequest())
                return try Response.success(Listing(key: "projects", page: page))
            },
            Endpoint(.get, "/projects/:id") { _, context in
                let project = try await visibleProject(context, needing: .viewer)
                return try Response.success(project)
            },
            Endpoint(.get, "/projects/:id/members") { _, context in
                let project = try await visibleProject(context, needing: .viewer)
                return try Response.success(["members": try await store.projects.members(of: project.id)])
            },
            Endpoint(.put, "/projects/:id/members/:userId") { request, context in
                let project = try await visibleProject(context, needing: .admin)
                let userID = try context.uuid("userId")
                let body = try await request.decodeJSON(as: MemberRole.self, context: context)
                return try Response.success(try await store.projects.setMember(userID, role: try body.validated(), in: project.id))
            },
            Endpoint(.delete, "/projects/:id/members/:userId") { _, context in
                let project = try await visibleProject(context, needing: .admin)
                let userID = try context.uuid("userId")
                guard try await store.projects.removeMember(userID, from: project.id) else {
                    throw APIError.notFound("projectMember", userID.lowercased)
                }
                return Response(status: .noContent)
            },
        ]
    }

    private func visibleProject(_ context: FarmRequestContext, needing role: ProjectRole) async throws -> Project {
        let user = try context.requireUser()
        let id = try context.uuid("id")
        guard let project = try await store.projects.find(id: id) else { throw APIError.notFound("project", id.lowercased) }
        try await access.require(role, in: id, for: user)
        return project
    }
}
