import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct ProjectRoutesTests {
    @Test func farmAdminsCreateProjectsAndBecomeTheirAdmins() async throws {
        try await withAPI { api, fixtures in
            let admin = try await fixtures.account(.admin)
            let member = try await fixtures.account()
            let name = Fixtures.unique("Cloud Server Platform")
            #expect(try await api.send(.post, "/projects", as: member, json: json(["name": name])).status == .forbidden)

            let created = try await api.send(.post, "/projects", as: admin, json: json(["name": name, "description": "servers"]))
            #expect(created.status == .created)
            #expect(created.data["name"] as? String == name)
            #expect((created.data["creator"] as? [String: Any])?["username"] as? String == admin.user.username)
            #expect(isSeedTimestamp(created.data["createdAt"]))
            let id = try #require(created.data["id"] as? String)
            let members = try await api.send(.get, "/projects/\(id)/members", as: admin)
            let first = (members.data["members"] as? [[String: Any]])?.first
            #expect(first?["role"] as? String == "admin")

            let duplicate = try await api.send(.post, "/projects", as: admin, json: json(["name": name]))
            #expect(duplicate.status == .conflict)
            let empty = try await api.send(.post, "/projects", as: admin, json: json(["name": " "]))
            #expect(empty.invalidFields["name"] == "must not be empty")
        }
    }

    @Test func membersSeeTheirProjectsOthersGet404() async throws {
        try await withAPI { api, fixtures in
            let viewer = try await fixtures.account()
            let outsider = try await fixtures.account()
            let project = try await fixtures.project(members: [(viewer, .viewer)])
            let path = "/projects/\(project.id.lowercased)"
            #expect(try await api.send(.get, path, as: viewer).status == .ok)
            let hidden = try await api.send(.get, path, as: outsider)
            #expect(hidden.status == .notFound)
            #expect(hidden.errorCode == "RESOURCE_NOT_FOUND")
            #expect(hidden.errorDetails["resourceType"] as? String == "project")

            let listed = try await api.send(.get, "/projects", as: viewer)
            let ids = (listed.data["projects"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == [project.id.lowercased])
            #expect((listed.data["pagination"] as? [String: Any])?["total"] as? Int == 1)
            let none = try await api.send(.get, "/projects", as: outsider)
            #expect((none.data["projects"] as? [Any])?.isEmpty == true)
            #expect(try await api.send(.get, "/projects/not-a-uuid", as: viewer).invalidFields["id"] == "must be a UUID")
        }
    }

    @Test func projectAdminsManageMembers() async throws {
        try await withAPI { api, fixtures in
            let projectAdmin = try await fixtures.account()
            let developer = try await fixtures.account()
            let newcomer = try await fixtures.account()
            let project = try await fixtures.project(members: [(projectAdmin, .admin), (developer, .developer)])
            let base = "/projects/\(project.id.lowercased)/members"

            let denied = try await api.send(.put, "\(base)/\(newcomer.user.id.lowercased)", as: developer,
                                            json: json(["role": "viewer"]))
            #expect(denied.status == .forbidden)
            #expect(denied.errorDetails["requiredRole"] as? String == "admin")

            let added = try await api.send(.put, "\(base)/\(newcomer.user.id.lowercased)", as: projectAdmin,
                                           json: json(["role": "release_manager"]))
            #expect(added.status == .ok)
            #expect(added.data["role"] as? String == "release_manager")
            #expect(try await fixtures.store.projects.effectiveRole(of: newcomer.user, in: project.id) == .release_manager)

            let badRole = try await api.send(.put, "\(base)/\(newcomer.user.id.lowercased)", as: projectAdmin,
                                             json: json(["role": "owner"]))
            #expect(badRole.invalidFields["role"] == "must be one of: viewer, developer, release_manager, admin")
            let ghost = try await api.send(.put, "\(base)/\(UUID().lowercased)", as: projectAdmin, json: json(["role": "viewer"]))
            #expect(ghost.status == .notFound)
            #expect(ghost.errorDetails["resourceType"] as? String == "user")

            #expect(try await api.send(.delete, "\(base)/\(newcomer.user.id.lowercased)", as: projectAdmin).status == .noContent)
            #expect(try await fixtures.store.projects.effectiveRole(of: newcomer.user, in: project.id) == nil)
            #expect(try await api.send(.delete, "\(base)/\(newcomer.user.id.lowercased)", as: projectAdmin).status == .notFound)
        }
    }
}
