import FarmModel
import FarmServer
import FarmStore
import FarmTestSupport
import FarmWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Rollouts end to end: the API's scheduler, RabbitMQ, and `kfarm agent`
/// processes installing real artifact tarballs (packed by the worker's
/// packager, stored and signed by the server) into A/B slots. Part of the
/// serialized whole-farm suite: every farm empties the broker's farm queues.
extension FarmTests {
    /// A project with a release manager, systems with agents, and artifacts to roll out.
    struct Rollout: Sendable {
        let farm: TestFarm
        let manager: Fixtures.Account
        let artifacts: [ArtifactRecord]
        let systems: [TargetSystem]
        let roots: [URL]

        /// The deployment, once it has ended (or failed the test after `seconds`).
        func deploy(_ artifact: ArtifactRecord, to systems: [TargetSystem], options: [String: Any],
                    scheduleFor: Date? = nil) async throws -> UUID {
            var body: [String: Any] = [
                "buildArtifactId": artifact.id.lowercased, "targetSystems": systems.map(\.id.lowercased), "options": options,
            ]
            if let scheduleFor { body["scheduleFor"] = ISO8601DateFormatter().string(from: scheduleFor) }
            let response = try await farm.client.execute(
                uri: "/deployments", method: .post,
                headers: [.authorization: manager.authorization, .contentType: "application/json"],
                body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let reply = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            let id = (reply?["data"] as? [String: Any])?["id"] as? String
            return try #require(id.flatMap { UUID(uuidString: $0) })
        }

        func ended(_ id: UUID) async throws -> DeploymentRecord {
            try await farm.deploymentEnded(id)
        }

        /// The system's kernel history: (action, artifact, slot), oldest first.
        func history(_ system: TargetSystem) async throws -> [(String, UUID?, String?)] {
            try await farm.store.client.query("""
                SELECT action, artifact_id, slot FROM system_kernel_history WHERE system_id = \(system.id) ORDER BY id
                """).collect().map { try $0.decode((String, UUID?, String?).self) }
        }

        /// The slot the agent's `current` link points at.
        func activeSlot(_ index: Int) -> String? {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: roots[index].appendingPathComponent("current").path))
        }
    }

    /// A shell health check: healthy when the slot holds the kernel image,
    /// unless the system is `failing` and the artifact `failingArtifact`.
    static func healthCommand(failing: UUID?, failingArtifact: UUID?, pause: Double) -> String {
        var command = "sleep \(pause); test -f \"$KFARM_SLOT_DIR/boot/Image\""
        if let failing, let failingArtifact {
            command += " && ! { test \"$KFARM_SYSTEM_ID\" = \(failing.lowercased) && test \"$KFARM_ARTIFACT_ID\" = \(failingArtifact.lowercased); }"
        }
        return command
    }

    /// Runs `body` with `count` systems and their agents, and two artifacts stored in the farm.
    static func withRollout(systems count: Int, failingSystem: Int? = nil, pause: Double = 0.3,
                            _ body: @Sendable (Rollout, _ restart: @Sendable (Int, Int32) async throws -> Void) async throws -> Void)
        async throws {
        try await TestFarm.run(agentSilence: 30) { farm in
            let (configuration, developer) = try await farm.configuration(.arm64)
            let projectID = configuration.configuration.project.id
            let manager = try await farm.fixtures.account()
            _ = try await farm.store.projects.setMember(manager.user.id, role: .release_manager, in: projectID, by: nil)
            _ = try await farm.store.projects.setMember(developer.user.id, role: .developer, in: projectID, by: nil)
            var stored: [ArtifactRecord] = []
            for release in ["6.1.1", "6.1.2"] {
                stored.append(try await storedArtifact(farm, version: configuration.versions[0].id, by: developer, release: release))
            }
            var created: [TargetSystem] = []
            for index in 0..<count {
                created.append(try await farm.store.systems.create(
                    NewTargetSystem(name: Fixtures.unique("sys\(index)"), architecture: .arm64, projectId: projectID),
                    by: manager.user.id))
            }
            let systems = created
            let token = try await farm.fixtures.token(of: manager, kind: .system).token
            let artifacts = stored
            let roots = systems.map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-agent-\(UUID().lowercased)") }
            let health = healthCommand(failing: failingSystem.map { systems[$0].id }, failingArtifact: artifacts[1].id, pause: pause)
            let agents = AgentProcesses()
            @Sendable func start(_ index: Int) async throws {
                agents.set(index, try farm.startAgentProcess(system: systems[index].id, root: roots[index], token: token,
                                                             arguments: ["--health-command", health]))
            }
            defer { agents.killAll() }
            for index in systems.indices { try await start(index) }
            for system in systems { try await farm.waitOnline(system.id) }
            let rollout = Rollout(farm: farm, manager: manager, artifacts: artifacts, systems: systems, roots: roots)
            try await body(rollout) { index, signal in
                agents.stop(index, signal)
                try await start(index)
            }
        }
    }

    /// An arm64 "kernel" (an image and its config) packed by the worker's
    /// packager, put in the artifact store and recorded, signed by the farm.
    static func storedArtifact(_ farm: TestFarm, version: UUID, by developer: Fixtures.Account, release: String)
        async throws -> ArtifactRecord {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-package-\(UUID().lowercased)")
        let staging = root.appendingPathComponent("staging")
        try FileManager.default.createDirectory(at: staging.appendingPathComponent("boot"), withIntermediateDirectories: true)
        try Data((0..<65_536).map { _ in UInt8.random(in: 0...255) }).write(to: staging.appendingPathComponent("boot/Image"))
        try "CONFIG_ARM64=y\n".write(to: staging.appendingPathComponent("boot/config"), atomically: true, encoding: .utf8)
        let packaged = try KernelPackage(staging: staging, destination: root.appendingPathComponent("out")).write { files in
            ArtifactMetadata(buildId: UUID(), buildNumber: "test", configuration: NamedRef(id: UUID(), name: "test"),
                             configVersion: VersionRef(id: UUID(), version: "1.0.0"), architecture: .arm64,
                             toolchain: "gcc-12.2.0", options: BuildOptions(), baseVersion: "6.1", kernelRelease: release,
                             configSha256: "", imageSize: 65_536, files: files)
        }
        // Straight into the store: uploads are taken only from a worker holding a build's attempt.
        let archive = try Data(contentsOf: packaged.archive(in: root.appendingPathComponent("out")))
        _ = try await farm.shelf.storage.store(RequestBody(buffer: ByteBuffer(bytes: archive)), sha256: packaged.sha256, maxSize: .max)
        return try await farm.fixtures.artifact(of: version, by: developer, kernelRelease: release, sign: farm.shelf.signer.sign,
                                                stored: StoredBlob(sha256: packaged.sha256, size: packaged.size))
    }

    /// The most targets installing at once, from their recorded start and end times.
    static func mostAtOnce(_ targets: [DeploymentRecord.Target]) -> Int {
        // At equal times an end comes first: the next wave starts in the transaction that records the end.
        var events: [(at: Date, change: Int)] = []
        for target in targets where target.startedAt != nil {
            events.append((target.startedAt ?? .distantPast, 1))
            events.append((target.completedAt ?? .distantFuture, -1))
        }
        events.sort { $0.at == $1.at ? $0.change < $1.change : $0.at < $1.at }
        var running = 0, most = 0
        for (_, change) in events {
            running += change
            most = max(most, running)
        }
        return most
    }

    @Test func fiveSystemsInWavesOfTwo() async throws {
        try await Self.withRollout(systems: 5) { rollout, _ in
            let id = try await rollout.deploy(rollout.artifacts[0], to: rollout.systems,
                                              options: ["maxParallelSystems": 2, "forceReboot": true])
            let deployment = try await rollout.ended(id)
            #expect(deployment.status == .completed)
            #expect(deployment.targetSystems.allSatisfy { $0.status == .completed && $0.result == "success" })
            #expect(Self.mostAtOnce(deployment.targetSystems) == 2)
            #expect(deployment.startedAt != nil && deployment.completedAt != nil)
            for (index, system) in rollout.systems.enumerated() {
                let history = try await rollout.history(system)
                #expect(history.count == 1 && history.first?.0 == "install" && history.first?.1 == rollout.artifacts[0].id
                        && history.first?.2 == "a")
                #expect(try await rollout.farm.store.systems.find(id: system.id)?.currentArtifact?.id == rollout.artifacts[0].id)
                #expect(rollout.activeSlot(index) == "slots/a")
                #expect(FileManager.default.fileExists(atPath: rollout.roots[index].appendingPathComponent("current/boot/Image").path))
            }
        }
    }

    /// `kfarm deploy --wait` as a release manager runs it, piped: one line per target change, exit 0 once completed.
    @Test func theClientDeploysAndWaitsForTheRollout() async throws {
        try await Self.withRollout(systems: 2) { rollout, _ in
            let person = try ClientRun(farm: rollout.farm, token: rollout.manager.token)
            let artifact = rollout.artifacts[0].id.lowercased
            let deployed = try await person.run(["deploy", artifact, "--systems"] + rollout.systems.map(\.id.lowercased)
                                                + ["--max-parallel", "2", "--wait"])
            #expect(deployed.status == 0, "\(deployed)")
            for system in rollout.systems {
                #expect(deployed.out.contains("  \(system.name): completed"), "\(system.name) in \(deployed.out)")
                #expect(try await rollout.farm.store.systems.find(id: system.id)?.currentArtifact?.id == rollout.artifacts[0].id)
            }
            let refused = try await person.run(["deploy", artifact, "--wait"])
            #expect(refused.status == 3 && refused.err.contains("--systems"), "\(refused)")
        }
    }

    /// An order sent before the system's agent ever ran waits in its queue, and the agent carries it out when it starts.
    @Test func anOrderForASystemWhoseAgentNeverRanWaitsForIt() async throws {
        try await TestFarm.run(agentSilence: 60) { farm in
            let (configuration, developer) = try await farm.configuration(.arm64)
            let projectID = configuration.configuration.project.id
            let manager = try await farm.fixtures.account()
            _ = try await farm.store.projects.setMember(manager.user.id, role: .release_manager, in: projectID, by: nil)
            _ = try await farm.store.projects.setMember(developer.user.id, role: .developer, in: projectID, by: nil)
            let artifact = try await Self.storedArtifact(farm, version: configuration.versions[0].id, by: developer,
                                                         release: "6.1.1")
            let system = try await farm.store.systems.create(
                NewTargetSystem(name: Fixtures.unique("late"), architecture: .arm64, projectId: projectID), by: manager.user.id)
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-agent-\(UUID().lowercased)")
            let rollout = Rollout(farm: farm, manager: manager, artifacts: [artifact], systems: [system], roots: [root])
            let id = try await rollout.deploy(artifact, to: [system], options: ["maxParallelSystems": 1])
            // The order goes out while no agent has ever declared the system's queue.
            try await Task.sleep(for: .seconds(3))
            let token = try await farm.fixtures.token(of: manager, kind: .system).token
            let agent = try farm.startAgentProcess(
                system: system.id, root: root, token: token,
                arguments: ["--health-command", Self.healthCommand(failing: nil, failingArtifact: nil, pause: 0.1)])
            defer { agent.terminate() }
            let deployment = try await rollout.ended(id)
            #expect(deployment.status == .completed, "\(deployment.targetSystems)")
            #expect(try await farm.store.systems.find(id: system.id)?.currentArtifact?.id == artifact.id)
        }
    }

    @Test func aFailedHealthCheckRollsBackOrFailsAsTheOptionsSay() async throws {
        try await Self.withRollout(systems: 3, failingSystem: 1) { rollout, _ in
            let (first, second) = (rollout.artifacts[0], rollout.artifacts[1])
            let installed = try await rollout.ended(try await rollout.deploy(
                first, to: rollout.systems, options: ["maxParallelSystems": 3, "forceReboot": true]))
            #expect(installed.status == .completed)

            // Rollback on: system 0 switches and passes, system 1 fails and switches back, system 2 never starts, system 0 rolls back.
            let rolledBack = try await rollout.ended(try await rollout.deploy(
                second, to: rollout.systems, options: ["maxParallelSystems": 1, "forceReboot": true, "rollbackOnFailure": true]))
            #expect(rolledBack.status == .rolled_back)
            #expect(rolledBack.targetSystems.map(\.status) == [.rolled_back, .failed, .cancelled])
            #expect(rolledBack.targetSystems[1].result?.contains("health check failed") == true)
            #expect(rolledBack.targetSystems[2].result?.contains("not started") == true)
            for (index, system) in rollout.systems.enumerated() {
                #expect(rollout.activeSlot(index) == "slots/a", "system \(index) is back on its previous kernel")
                #expect(try await rollout.farm.store.systems.find(id: system.id)?.currentArtifact?.id == first.id)
            }
            #expect(try await rollout.history(rollout.systems[0]).map(\.0) == ["install", "install", "rollback"])
            #expect(try await rollout.history(rollout.systems[0]).last?.1 == first.id)
            #expect(try await rollout.history(rollout.systems[1]).map(\.0) == ["install", "install", "rollback"])
            #expect(try await rollout.history(rollout.systems[2]).map(\.0) == ["install"])

            // Rollback off, one wave: the failure is reported, the others complete, the deployment failed.
            let failed = try await rollout.ended(try await rollout.deploy(
                second, to: rollout.systems, options: ["maxParallelSystems": 3, "forceReboot": true]))
            #expect(failed.status == .failed)
            #expect(failed.targetSystems.map(\.status) == [.completed, .failed, .completed])
            #expect(rollout.activeSlot(0) == "slots/b" && rollout.activeSlot(1) == "slots/a" && rollout.activeSlot(2) == "slots/b")
        }
    }

    /// `kill -9`, or a graceful stop (SIGTERM), while the health check runs:
    /// switched, not yet reported. Either way the order comes again and resumes.
    @Test(arguments: [SIGKILL, SIGTERM])
    func anAgentStoppedMidInstallResumesWithoutInstallingTwice(signal: Int32) async throws {
        try await Self.withRollout(systems: 1, pause: 4) { rollout, restart in
            let id = try await rollout.deploy(rollout.artifacts[0], to: rollout.systems, options: ["forceReboot": true])
            let deadline = ContinuousClock.now + .seconds(30)
            while rollout.activeSlot(0) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(rollout.activeSlot(0) == "slots/a")
            try await restart(0, signal)
            let deployment = try await rollout.ended(id)
            #expect(deployment.status == .completed)
            #expect(try await rollout.history(rollout.systems[0]).map(\.0) == ["install"])
            #expect(rollout.activeSlot(0) == "slots/a")
            let slots = rollout.roots[0].appendingPathComponent("slots")
            #expect(try FileManager.default.contentsOfDirectory(atPath: slots.path).sorted() == ["a"], "no half-written slot left")
        }
    }

    @Test func aScheduledDeploymentWaitsForItsTimeAndCanBeCancelled() async throws {
        try await Self.withRollout(systems: 2) { rollout, _ in
            let at = Date().addingTimeInterval(4)
            let later = try await rollout.deploy(rollout.artifacts[0], to: [rollout.systems[0]], options: [:], scheduleFor: at)
            let cancelled = try await rollout.deploy(rollout.artifacts[0], to: [rollout.systems[1]], options: [:],
                                                     scheduleFor: Date().addingTimeInterval(3600))
            try await Task.sleep(for: .seconds(2))
            #expect(try await rollout.farm.store.deployments.find(id: later)?.status == .scheduled)
            let response = try await rollout.farm.client.execute(
                uri: "/deployments/\(cancelled.lowercased)/cancel", method: .post, headers: [.authorization: rollout.manager.authorization])
            #expect(response.status == .ok)
            let deployment = try await rollout.ended(later)
            #expect(deployment.status == .completed)
            #expect(try #require(deployment.startedAt) >= at.addingTimeInterval(-1))
            #expect(try await rollout.farm.store.deployments.find(id: cancelled)?.status == .cancelled)
            #expect(try await rollout.history(rollout.systems[1]).isEmpty)
            #expect(rollout.activeSlot(1) == nil)
        }
    }
}

/// The agent processes of a test, to kill at the end (or mid-install).
final class AgentProcesses: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Int: Process] = [:]

    func set(_ index: Int, _ process: Process) { lock.withLock { processes[index] = process } }

    /// Sends `signal` to the agent and waits until it has exited.
    func stop(_ index: Int, _ signal: Int32) {
        lock.withLock {
            guard let process = processes[index] else { return }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    func killAll() { lock.withLock { for process in processes.values where process.isRunning { process.terminate() } } }
}
