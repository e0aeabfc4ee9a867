import FarmModel
import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

/// Target systems and deployments through the real router and PostgreSQL:
/// the seed's shapes, who may do what, and every validation the issue names.
@Suite struct DeploymentRoutesTests {
    /// A project with a release manager, a developer and a viewer, an x86_64
    /// configuration and an artifact of it.
    struct Team {
        var project: Project
        var releaseManager: Fixtures.Account
        var developer: Fixtures.Account
        var viewer: Fixtures.Account
        var artifact: ArtifactRecord
    }

    private func team(_ fixtures: Fixtures) async throws -> Team {
        let (manager, developer, viewer) = (try await fixtures.account(), try await fixtures.account(), try await fixtures.account())
        let project = try await fixtures.project(members: [(manager, .release_manager), (developer, .developer), (viewer, .viewer)])
        let configuration = try await fixtures.configuration(in: project, by: developer)
        let artifact = try await fixtures.artifact(of: configuration.versions[0].id, by: developer,
                                                   sign: try ArtifactShelf.forTests().signer.sign)
        return Team(project: project, releaseManager: manager, developer: developer, viewer: viewer, artifact: artifact)
    }

    private func system(_ name: String, _ architecture: String, in team: Team, labels: [String: String] = [:],
                        _ api: API) async throws -> Reply {
        try await api.send(.post, "/systems", as: team.releaseManager, json: json([
            "name": name, "architecture": architecture, "projectId": team.project.id.lowercased, "labels": labels,
        ]))
    }

    @Test func releaseManagersAddSystemsMembersFindThemByLabel() async throws {
        try await withAPI { api, fixtures in
            let team = try await team(fixtures)
            let name = Fixtures.unique("edge")
            let created = try await system(name, "x86_64", in: team, labels: ["rack": "r1", "env": "prod"], api)
            #expect(created.status == .created)
            #expect(created.data["status"] as? String == "unknown" && created.data["currentArtifact"] is NSNull)
            #expect((created.data["project"] as? [String: Any])?["id"] as? String == team.project.id.lowercased)
            _ = try await system(Fixtures.unique("edge"), "x86_64", in: team, labels: ["rack": "r2"], api)
            _ = try await system(Fixtures.unique("edge"), "arm64", in: team, labels: ["rack": "r1"], api)

            #expect(try await system(name, "x86_64", in: team, api).status == .conflict)
            let invalid = try await system("bad name", "sparc", in: team, labels: ["bad key!": "v"], api)
            #expect(Set(invalid.invalidFields.keys) == ["name", "architecture", "labels"])
            let byDeveloper = try await api.send(.post, "/systems", as: team.developer, json: json([
                "name": Fixtures.unique("edge"), "architecture": "x86_64", "projectId": team.project.id.lowercased,
            ]))
            #expect(byDeveloper.status == .forbidden)

            let query = "/systems?project_id=\(team.project.id.lowercased)&arch=x86_64&label=rack=r1&status=unknown"
            let found = try await api.send(.get, query, as: team.viewer)
            #expect((found.data["systems"] as? [[String: Any]])?.map { $0["name"] as? String } == [name])
            let id = try #require(created.data["id"] as? String)
            #expect(try await api.send(.get, "/systems/\(id)", as: team.viewer).data["name"] as? String == name)
            let stranger = try await fixtures.account()
            #expect(try await api.send(.get, "/systems/\(id)", as: stranger).status == .notFound)
            let strangers = try await api.send(.get, "/systems?label=rack=r1", as: stranger)
            #expect((strangers.data["systems"] as? [Any])?.isEmpty == true)
            let withRack = try await api.send(.get, "/systems?project_id=\(team.project.id.lowercased)&label=env", as: team.viewer)
            #expect((withRack.data["systems"] as? [[String: Any]])?.map { $0["name"] as? String } == [name], "a key alone: has the label")
            #expect(try await api.send(.get, "/systems?label==prod", as: team.viewer).invalidFields["label"] != nil)
            // "=" then a modifier is one Character, but still the separator.
            let modifier = try await api.send(.get, "/systems?label=env%3D%F0%9F%8F%BB", as: team.viewer)
            #expect(modifier.status == .ok && (modifier.data["systems"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aDeploymentIsCreatedInTheSeedsShapeAndCancelled() async throws {
        try await withAPI { api, fixtures in
            let team = try await team(fixtures)
            var ids: [String] = []
            for _ in 0..<2 {
                ids.append(try #require(try await system(Fixtures.unique("prod"), "x86_64", in: team, api).data["id"] as? String))
            }
            let at = "2999-06-03T02:00:00Z"
            let body = json([
                "buildArtifactId": team.artifact.id.lowercased, "targetSystems": ids, "scheduleFor": at,
                "options": ["rollbackOnFailure": true, "maxParallelSystems": 1, "forceReboot": true],
            ])
            #expect(try await api.send(.post, "/deployments", as: team.developer, json: body).status == .forbidden)
            let created = try await api.send(.post, "/deployments", as: team.releaseManager, json: body)
            #expect(created.status == .created)
            #expect(created.data["status"] as? String == "scheduled" && created.data["scheduledFor"] as? String == at)
            #expect(isSeedTimestamp(created.data["createdAt"]))
            #expect((created.data["buildArtifact"] as? [String: Any])?["name"] as? String == team.artifact.name)
            #expect((created.data["authorizer"] as? [String: Any])?["username"] as? String == team.releaseManager.user.username)
            let targets = try #require(created.data["targetSystems"] as? [[String: Any]])
            #expect(targets.map { $0["id"] as? String } == ids && targets.allSatisfy { $0["status"] as? String == "pending" })
            // Two waves of one system, five minutes each until rollouts have history.
            #expect(created.data["estimatedCompletion"] as? String == "2999-06-03T02:10:00Z")

            let id = try #require(created.data["id"] as? String)
            let read = try await api.send(.get, "/deployments/\(id)", as: team.viewer)
            #expect(read.data["id"] as? String == id && read.data["startedAt"] is NSNull)
            let listed = try await api.send(.get, "/deployments?system=\(ids[1])&status=scheduled", as: team.viewer)
            #expect((listed.data["deployments"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])

            // A system in an active deployment is spoken for.
            let again = try await api.send(.post, "/deployments", as: team.releaseManager, json: json([
                "buildArtifactId": team.artifact.id.lowercased, "targetSystems": [ids[0]],
            ]))
            #expect(again.status == .conflict)

            #expect(try await api.send(.post, "/deployments/\(id)/cancel", as: team.developer).status == .forbidden)
            let cancelled = try await api.send(.post, "/deployments/\(id)/cancel", as: team.releaseManager)
            #expect(cancelled.data["status"] as? String == "cancelled")
            #expect((cancelled.data["targetSystems"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "cancelled" } == true)
            #expect(try await api.send(.post, "/deployments/\(id)/cancel", as: team.releaseManager).status == .conflict)
            let now = try await api.send(.post, "/deployments", as: team.releaseManager, json: json([
                "buildArtifactId": team.artifact.id.lowercased, "targetSystems": [ids[0]],
            ]))
            #expect(now.status == .created, "cancelled deployments free their systems; absent scheduleFor means now")
            // A page of several, newest first, each with its own targets.
            let both = try await api.send(.get, "/deployments?system=\(ids[0])", as: team.viewer)
            let page = try #require(both.data["deployments"] as? [[String: Any]])
            #expect(page.map { $0["id"] as? String } == [now.data["id"] as? String, id])
            #expect(page.map { ($0["targetSystems"] as? [Any])?.count } == [1, 2])
        }
    }

    @Test func badDeploymentsAreRefusedNamingWhy() async throws {
        try await withAPI { api, fixtures in
            let team = try await team(fixtures)
            let x86 = try #require(try await system(Fixtures.unique("x"), "x86_64", in: team, api).data["id"] as? String)
            let armName = Fixtures.unique("arm")
            let arm = try #require(try await system(armName, "arm64", in: team, api).data["id"] as? String)
            func deploy(_ fields: [String: Any]) async throws -> Reply {
                try await api.send(.post, "/deployments", as: team.releaseManager,
                                   json: json(["buildArtifactId": team.artifact.id.lowercased, "targetSystems": [x86]]
                                       .merging(fields) { $1 }))
            }
            let mismatch = try await deploy(["targetSystems": [x86, arm]])
            #expect(mismatch.status == .badRequest && mismatch.invalidFields["targetSystems"]?.contains(armName) == true)
            let unknown = UUID().uuidString.lowercased()
            let missing = try await deploy(["targetSystems": [x86, unknown]])
            #expect(missing.status == .notFound && missing.errorDetails["resourceId"] as? String == unknown)
            #expect(try await deploy(["scheduleFor": "2001-01-01T00:00:00Z"]).invalidFields["scheduleFor"] != nil)
            #expect(try await deploy(["scheduleFor": "tomorrow"]).invalidFields["scheduleFor"] != nil)
            #expect(try await deploy(["options": ["maxParallelSystems": 0]]).invalidFields["options.maxParallelSystems"] != nil)
            #expect(try await deploy(["targetSystems": []]).invalidFields["targetSystems"] != nil)
            #expect(try await deploy(["targetSystems": [x86, x86]]).invalidFields["targetSystems"] != nil)
            #expect(try await deploy(["buildArtifactId": unknown]).status == .notFound)
            // Nothing of the refused requests was written.
            let none = try await api.send(.get, "/deployments?system=\(x86)", as: team.viewer)
            #expect((none.data["deployments"] as? [Any])?.isEmpty == true)
            // Another project's release manager cannot see the artifact.
            let outsider = try await fixtures.account()
            _ = try await fixtures.project(members: [(outsider, .release_manager)])
            let foreign = try await api.send(.post, "/deployments", as: outsider, json: json([
                "buildArtifactId": team.artifact.id.lowercased, "targetSystems": [x86],
            ]))
            #expect(foreign.status == .notFound)
        }
    }
}
