import FarmModel
import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Testing

/// What ran where: a system's kernel history, an artifact's lineage, and
/// the diffs between versions and artifacts, over a rollout driven through
/// the scheduler's and the agent's own store calls.
@Suite struct LineageRoutesTests {
    @Test func historyLineageAndDiffsAnswerWhatRunsWhereAndWhatChanged() async throws {
        try await withAPI(freshDatabase: true) { api, fixtures in
            let store = fixtures.store
            let (developer, manager, viewer) = (try await fixtures.account(), try await fixtures.account(), try await fixtures.account())
            let project = try await fixtures.project(members: [(developer, .developer), (manager, .release_manager), (viewer, .viewer)])
            let configuration = try await fixtures.configuration(in: project, by: developer, architecture: .arm64,
                                                                 modules: [ModuleSpec(name: "ext4", path: "fs/ext4")])
            let v1 = configuration.versions[0]
            let v2 = try await store.configurations.createVersion(NewConfigurationVersion(modules: [
                ModuleSpec(name: "ext4", path: "fs/ext4", isBuiltin: true), ModuleSpec(name: "dummy", path: "drivers/net/dummy"),
            ]), of: configuration.configuration.id, by: developer.user.id).version
            let sign = try ArtifactShelf.forTests().signer.sign
            let first = try await fixtures.artifact(of: v1.id, by: developer, kernelRelease: "6.1.1", sign: sign,
                                                    kconfig: "CONFIG_EXT4_FS=m\n# CONFIG_DUMMY is not set\nCONFIG_HZ=250\n")
            let second = try await fixtures.artifact(of: v2.id, by: developer, kernelRelease: "6.1.2", sign: sign,
                                                     kconfig: "CONFIG_EXT4_FS=y\nCONFIG_DUMMY=m\nCONFIG_HZ=250\n")
            let bare = try await fixtures.artifact(of: v1.id, by: developer, sign: sign)
            let system = try await store.systems.create(
                NewTargetSystem(name: Fixtures.unique("sys"), architecture: .arm64, projectId: project.id), by: manager.user.id)
            let (token, _) = try await store.users.createToken(for: manager.user.id, name: "agent", kind: .system, expiresAt: nil, by: nil)

            // The first artifact installs into slot a; the second into b, fails its health check and switches back.
            let switches: [[AgentReport.Switch]] = [
                [.init(action: .install, slot: .a, at: Date())],
                [.init(action: .install, slot: .b, at: Date().addingTimeInterval(1)),
                 .init(action: .rollback, slot: .a, at: Date().addingTimeInterval(2))],
            ]
            var deployments: [UUID] = []
            for (artifact, changes) in zip([first, second], switches) {
                let deployment = try await store.deployments.create(
                    NewDeployment(buildArtifactId: artifact.id, targetSystems: [system.id]), by: manager.user.id)
                #expect(try await store.rollouts.startDue() == [deployment.id])
                let phase: AgentReport.Phase = changes.count == 1 ? .succeeded : .failed
                _ = try await store.rollouts.report(AgentReport(action: .install, phase: phase, switches: changes, message: "health"),
                                                    system: system.id, deployment: deployment.id, token: token.id)
                deployments.append(deployment.id)
            }

            let history = try await api.send(.get, "/systems/\(system.id.lowercased)/history", as: viewer)
            #expect(history.status == .ok)
            let entries = history.data["history"] as? [[String: Any]] ?? []
            #expect(entries.map { $0["action"] as? String } == ["rollback", "install", "install"])
            #expect(entries.map { ($0["artifact"] as? [String: Any])?["id"] as? String }
                    == [first.id.lowercased, second.id.lowercased, first.id.lowercased])
            #expect(entries.map { $0["slot"] as? String } == ["a", "b", "a"])
            #expect(entries.map { $0["rolledBack"] as? Bool } == [false, true, false])
            #expect(entries.allSatisfy { ($0["authorizer"] as? [String: Any])?["username"] as? String == manager.user.username })
            #expect((entries[1]["deployment"] as? [String: Any])?["status"] as? String == "failed")

            let lineage = try await api.send(.get, "/artifacts/\(first.id.lowercased)/lineage", as: viewer)
            #expect(lineage.status == .ok)
            #expect((lineage.data["configVersion"] as? [String: Any])?["version"] as? String == "1.0.0")
            #expect((lineage.data["modules"] as? [[String: Any]])?.map { $0["name"] as? String } == ["ext4"])
            #expect((lineage.data["initiator"] as? [String: Any])?["username"] as? String == developer.user.username)
            #expect((lineage.data["deployments"] as? [[String: Any]])?.map { $0["status"] as? String } == ["completed"])
            let running = lineage.data["runningOn"] as? [[String: Any]] ?? []
            #expect(running.map { $0["id"] as? String } == [system.id.lowercased] && running.first?["activeSlot"] as? String == "a")
            let secondLineage = try await api.send(.get, "/artifacts/\(second.id.lowercased)/lineage", as: viewer)
            #expect((secondLineage.data["runningOn"] as? [Any])?.isEmpty == true)

            let diff = try await api.send(.get, "/artifacts/\(second.id.lowercased)/diff?against=\(first.id.lowercased)", as: viewer)
            #expect(diff.status == .ok)
            let changes = (diff.data["changes"] as? [[String: String]]) ?? []
            #expect(changes == [["symbol": "DUMMY", "from": "n", "to": "m"], ["symbol": "EXT4_FS", "from": "m", "to": "y"]])
            #expect(try await api.send(.get, "/artifacts/\(second.id.lowercased)/diff", as: viewer).invalidFields["against"] != nil)
            #expect(try await api.send(.get, "/artifacts/\(second.id.lowercased)/diff?against=\(UUID().lowercased)", as: viewer)
                .status == .notFound)
            #expect(try await api.send(.get, "/artifacts/\(second.id.lowercased)/diff?against=\(bare.id.lowercased)", as: viewer)
                .status == .conflict)

            let moduleDiff = try await api.send(
                .get, "/configurations/\(configuration.configuration.id.lowercased)/versions/\(v2.id.lowercased)/diff?against=\(v1.id.lowercased)",
                as: viewer)
            #expect(moduleDiff.status == .ok)
            #expect((moduleDiff.data["added"] as? [[String: Any]])?.map { $0["name"] as? String } == ["dummy"])
            #expect((moduleDiff.data["removed"] as? [Any])?.isEmpty == true)
            let changed = moduleDiff.data["changed"] as? [[String: Any]] ?? []
            #expect(changed.map { $0["name"] as? String } == ["ext4"])
            #expect((changed.first?["to"] as? [String: Any])?["isBuiltin"] as? Bool == true)

            // Another project's member sees none of it.
            let outsider = try await fixtures.account()
            _ = try await fixtures.project(members: [(outsider, .admin)])
            #expect(try await api.send(.get, "/systems/\(system.id.lowercased)/history", as: outsider).status == .notFound)
            #expect(try await api.send(.get, "/artifacts/\(first.id.lowercased)/lineage", as: outsider).status == .notFound)
        }
    }
}
