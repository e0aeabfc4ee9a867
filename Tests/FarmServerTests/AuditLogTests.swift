import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct AuditLogTests {
    @Test func changesAreRecordedWithActorAndQueryableByAdmins() async throws {
        try await withAPI { api, fixtures in
            let admin = try await fixtures.account(.admin)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let created = try await api.send(.post, "/configurations", as: developer, json: json([
                "name": "audited", "baseVersion": "6.1", "architecture": "x86_64", "projectId": project.id.lowercased,
            ]))
            let id = try #require(created.data["id"] as? String)
            let versionID = try #require((created.data["versions"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["description": "new"]))
            _ = try await api.send(.post, "/configurations/\(id)/versions/\(versionID)/lock", as: developer)
            _ = try await api.send(.post, "/configurations/\(id)/versions/\(versionID)/lock", as: developer)

            let log = try await api.send(.get, "/audit?resource_type=configuration&resource_id=\(id)", as: admin)
            #expect(log.status == .ok)
            let events = try #require(log.data["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["action"] as? String }
                == ["configuration.version.lock", "configuration.update", "configuration.create"],
                    "newest first; locking twice is recorded once")
            #expect(events.allSatisfy { ($0["actor"] as? [String: Any])?["username"] as? String == developer.user.username })
            #expect(events.allSatisfy { $0["projectId"] as? String == project.id.lowercased })
            #expect((events.first?["details"] as? [String: String])?["version"] == "1.0.0")
            #expect(events.allSatisfy { isSeedTimestamp($0["at"]) })

            let firstPage = try await api.send(.get, "/audit?resource_id=\(id)&limit=2", as: admin)
            #expect((firstPage.data["events"] as? [Any])?.count == 2)
            #expect(firstPage.data["pagination"] as? [String: Int] == ["total": 3, "page": 1, "limit": 2, "pages": 2])
            let beyond = try await api.send(.get, "/audit?resource_id=\(id)&limit=2&page=3", as: admin)
            #expect((beyond.data["events"] as? [Any])?.isEmpty == true)
            #expect((beyond.data["pagination"] as? [String: Int])?["total"] == 3, "the total survives an empty page")

            let byActor = try await api.send(.get, "/audit?actor=\(developer.user.id.lowercased)&action=configuration.update", as: admin)
            #expect((byActor.data["pagination"] as? [String: Int])?["total"] == 1)
            #expect(try await api.send(.get, "/audit", as: developer).status == .forbidden)
            #expect(try await api.send(.get, "/audit?since=yesterday", as: admin).invalidFields["since"] != nil)
            #expect(try await api.send(.get, "/audit?action=x'%20OR%201=1", as: admin).invalidFields["action"] != nil)
        }
    }

    @Test func aRejectedChangeLeavesNoAuditEvent() async throws {
        try await withAPI { api, fixtures in
            let admin = try await fixtures.account(.admin)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let detail = try await fixtures.configuration(in: project, by: developer)
            let id = detail.configuration.id.lowercased
            _ = try await fixtures.store.configurations.lock(detail.versions[0].id, of: detail.configuration.id, by: nil)
            let conflict = try await api.send(.patch, "/configurations/\(id)", as: developer,
                                              json: json(["modules": [["name": "xfs"]]]))
            #expect(conflict.status == .conflict)
            let updates = try await api.send(.get, "/audit?resource_id=\(id)&action=configuration.update", as: admin)
            #expect((updates.data["pagination"] as? [String: Int])?["total"] == 0)
        }
    }

    @Test func tokenAndMembershipChangesAreAudited() async throws {
        try await withAPI { api, fixtures in
            let admin = try await fixtures.account(.admin)
            let member = try await fixtures.account()
            let project = try await fixtures.project()
            _ = try await api.send(.put, "/projects/\(project.id.lowercased)/members/\(member.user.id.lowercased)", as: admin,
                                   json: json(["role": "viewer"]))
            let created = try await api.send(.post, "/users/\(member.user.id.lowercased)/tokens", as: member, json: json(["name": "x"]))
            let tokenID = try #require(created.data["id"] as? String)
            _ = try await api.send(.delete, "/users/\(member.user.id.lowercased)/tokens/\(tokenID)", as: admin)

            let log = try await api.send(.get, "/audit?project_id=\(project.id.lowercased)&action=project.member.set", as: admin)
            #expect((log.data["events"] as? [[String: Any]])?.first?["resourceId"] as? String == member.user.id.lowercased)
            let revoke = try await api.send(.get, "/audit?resource_type=token&resource_id=\(tokenID)", as: admin)
            let actions = (revoke.data["events"] as? [[String: Any]])?.compactMap { $0["action"] as? String }
            #expect(actions == ["token.revoke", "token.create"])
            let revoker = (revoke.data["events"] as? [[String: Any]])?.first?["actor"] as? [String: Any]
            #expect(revoker?["username"] as? String == admin.user.username)
        }
    }
}
