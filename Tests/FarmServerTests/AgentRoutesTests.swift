import FarmModel
import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Testing

/// What the API asks of deployment agents: the token a system is bound to,
/// orders that no longer stand, and reports that arrive twice.
@Suite struct AgentRoutesTests {
    @Test func agentsAreBoundToTheirTokenAndReportsAreIdempotent() async throws {
        try await withAPI(freshDatabase: true) { api, fixtures in
            let store = fixtures.store
            let (developer, manager) = (try await fixtures.account(), try await fixtures.account())
            let project = try await fixtures.project(members: [(developer, .developer), (manager, .release_manager)])
            let configuration = try await fixtures.configuration(in: project, by: developer, architecture: .riscv64)
            let artifact = try await fixtures.artifact(of: configuration.versions[0].id, by: developer,
                                                       sign: try ArtifactShelf.forTests().signer.sign)
            let system = try await store.systems.create(
                NewTargetSystem(name: Fixtures.unique("sys"), architecture: .riscv64, projectId: project.id), by: manager.user.id)
            let agent = try await fixtures.token(of: manager, kind: .system)
            let impostor = try await fixtures.token(of: manager, kind: .system)
            let developerAgent = try await fixtures.token(of: developer, kind: .system)
            let path = "/systems/\(system.id.lowercased)"

            // A developer's system token may not speak for the project's systems; the first release manager's token binds it.
            #expect(try await api.send(.post, "\(path)/heartbeat", as: developerAgent, json: #"{"activeSlot":null}"#).status == .notFound)
            let beat = try await api.send(.post, "\(path)/heartbeat", as: agent, json: #"{"activeSlot":"b"}"#)
            #expect(beat.status == .ok && beat.data["status"] as? String == "online" && beat.data["activeSlot"] as? String == "b")
            #expect(try await api.send(.post, "\(path)/heartbeat", as: impostor, json: #"{"activeSlot":null}"#).status == .conflict)

            let deployment = try await store.deployments.create(
                NewDeployment(buildArtifactId: artifact.id, targetSystems: [system.id]), by: manager.user.id)
            let report = "\(path)/deployments/\(deployment.id.lowercased)/report"
            // Before the scheduler started it, the order does not stand.
            let early = try await api.send(.post, report, as: agent, json: #"{"action":"install","phase":"started","switches":[]}"#)
            #expect(early.status == .conflict && early.errorDetails["status"] as? String == "pending")
            #expect(try await store.rollouts.startDue() == [deployment.id])
            #expect(try await api.send(.post, report, as: agent, json: #"{"action":"install","phase":"started","switches":[]}"#)
                .data["status"] as? String == "in_progress")
            // A switch dated ahead of the server's clock would sort before every real one: refused, nothing stored.
            let future = #"{"action":"install","phase":"succeeded","switches":[{"action":"install","slot":"a","at":"9999-12-31T23:59:59Z"}]}"#
            let refused = try await api.send(.post, report, as: agent, json: future)
            #expect(refused.status == .badRequest && refused.invalidFields["switches[0].at"] != nil, "\(refused.object)")
            let done = #"{"action":"install","phase":"succeeded","switches":[{"action":"install","slot":"a","at":"2026-01-01T00:00:00Z"}]}"#
            for _ in 0..<2 {
                let reply = try await api.send(.post, report, as: agent, json: done)
                #expect(reply.status == .ok && reply.data["status"] as? String == "completed" && reply.data["result"] as? String == "success")
            }
            let history = try await store.lineage.history(of: system.id, page: try PageRequest(page: 1, limit: 10))
            #expect(history.items.count == 1, "the repeated report wrote nothing")
            #expect(try await store.deployments.find(id: deployment.id)?.status == .completed)
            // A rollback no one asked for is refused.
            let rollback = try await api.send(.post, report, as: agent, json: #"{"action":"rollback","phase":"started","switches":[]}"#)
            #expect(rollback.status == .conflict)
            let badSlot = try await api.send(.post, report, as: agent, json: #"{"action":"install","phase":"failed","switches":[{"action":"install","slot":"c","at":"2026-01-01T00:00:00Z"}]}"#)
            #expect(badSlot.status == .badRequest)
        }
    }
}
