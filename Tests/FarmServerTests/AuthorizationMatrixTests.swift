import Crypto
import FarmModel
@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

/// Walks every route × every kind of caller and checks 401/403/404/2xx
/// against the route's requirement in the endpoint table. A new route
/// without a row in `calls` fails the test, so each one added later is
/// covered too.
@Suite struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable {
        case noToken, expiredToken, revokedToken, workerToken, systemToken
        case viewer, developer, releaseManager, projectAdmin, farmAdmin, otherProjectMember
    }

    /// A project with one account per role, and what the calls need.
    struct Scenario: Sendable {
        let fixtures: Fixtures
        let project: Project
        let configuration: ConfigurationDetail
        let accounts: [Caller: Fixtures.Account]
        let expiredToken: String
        let revokedToken: String
        let machineTokens: [TokenKind: String]
        let workerTokenID: UUID
        let shelf: ArtifactShelf

        static func make(_ fixtures: Fixtures, shelf: ArtifactShelf) async throws -> Scenario {
            var accounts: [Caller: Fixtures.Account] = [:]
            for caller in [Caller.viewer, .developer, .releaseManager, .projectAdmin, .otherProjectMember] {
                accounts[caller] = try await fixtures.account()
            }
            accounts[.farmAdmin] = try await fixtures.account(.admin)
            let project = try await fixtures.project(members: [
                (accounts[.viewer]!, .viewer), (accounts[.developer]!, .developer),
                (accounts[.releaseManager]!, .release_manager), (accounts[.projectAdmin]!, .admin),
            ])
            _ = try await fixtures.project(members: [(accounts[.otherProjectMember]!, .admin)])
            let configuration = try await fixtures.configuration(in: project, by: accounts[.developer]!,
                                                                 modules: [ModuleSpec(name: "ext4")])
            // The strongest account's tokens, expired and revoked: still 401.
            let admin = accounts[.farmAdmin]!.user
            let (expired, expiredSecret) = try await fixtures.store.users.createToken(
                for: admin.id, name: "expired", expiresAt: Date().addingTimeInterval(60), by: nil)
            try await fixtures.store.client.query("UPDATE api_tokens SET expires_at = now() WHERE id = \(expired.id)")
            let (revoked, revokedSecret) = try await fixtures.store.users.createToken(
                for: admin.id, name: "revoked", expiresAt: nil, by: nil)
            _ = try await fixtures.store.users.revokeToken(revoked.id, of: admin.id, by: nil)
            // Machine tokens made by a farm admin: they must not act as the admin.
            var machineTokens: [TokenKind: String] = [:]
            var tokenIDs: [TokenKind: UUID] = [:]
            for kind in [TokenKind.worker, .system] {
                let (token, secret) = try await fixtures.store.users.createToken(
                    for: admin.id, name: kind.rawValue, kind: kind, expiresAt: nil, by: nil)
                machineTokens[kind] = secret.value
                tokenIDs[kind] = token.id
            }
            return Scenario(fixtures: fixtures, project: project, configuration: configuration, accounts: accounts,
                            expiredToken: expiredSecret.value, revokedToken: revokedSecret.value,
                            machineTokens: machineTokens, workerTokenID: tokenIDs[.worker]!, shelf: shelf)
        }

        var projectID: String { project.id.lowercased }
        var configurationID: String { configuration.configuration.id.lowercased }
        var versionID: String { configuration.versions[0].id.lowercased }

        func authorization(_ caller: Caller) -> String? {
            switch caller {
            case .noToken: nil
            case .expiredToken: "Bearer \(expiredToken)"
            case .revokedToken: "Bearer \(revokedToken)"
            case .workerToken: "Bearer \(machineTokens[.worker]!)"
            case .systemToken: "Bearer \(machineTokens[.system]!)"
            default: accounts[caller]!.authorization
            }
        }

        /// A new queued build of the scenario's configuration.
        func queuedBuild() async throws -> BuildRecord {
            try await fixtures.store.builds.submit(
                NewBuild(configVersionId: configuration.versions[0].id), by: accounts[.developer]!.user.id)
        }

        /// A new worker registered with the scenario's worker token, serving the configuration's architecture.
        func worker() async throws -> Worker {
            try await fixtures.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096),
                token: workerTokenID)
        }

        /// A new kernel series a new worker of the scenario's worker token builds, its catalog published when asked.
        func kernelSeries(published: Bool) async throws -> String {
            let series = Fixtures.uniqueSeries()
            // Beside a worker of any version, so that one building only this series refuses no other test's submits.
            _ = try await worker()
            _ = try await fixtures.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096, kernelSeries: [series]),
                token: workerTokenID)
            if published {
                _ = try await fixtures.store.kernels.publish(.sample(series: series), sha256: String(repeating: "0", count: 64),
                                                             token: workerTokenID)
            }
            return series
        }

        /// A new build of the scenario's configuration, claimed by a new worker of the scenario's worker token.
        func claimedBuild() async throws -> (build: BuildRecord, worker: Worker) {
            let (build, worker) = (try await queuedBuild(), try await worker())
            _ = try await fixtures.store.workers.claim(build.id, BuildClaim(workerId: worker.id, attempt: 1),
                                                       token: workerTokenID, lease: 60)
            return (build, worker)
        }

        /// A stored tarball (unique bytes) and what a worker reports about it for `build`.
        func upload(for build: BuildRecord, worker: Worker) async throws -> ArtifactUpload {
            let bytes = ByteBuffer(string: Fixtures.unique("kernel"))
            let sha256 = SHA256.hash(data: Array(buffer: bytes)).map { String(format: "%02x", $0) }.joined()
            let size = try await shelf.storage.store(RequestBody(buffer: bytes), sha256: sha256, maxSize: .max)
            let metadata = ArtifactMetadata(
                buildId: build.id, buildNumber: build.buildNumber, configuration: build.config, configVersion: build.configVersion,
                architecture: build.architecture, toolchain: "gcc-12.2.0", options: build.options, baseVersion: "6.1.0",
                kernelRelease: "6.1.158", configSha256: sha256, imageSize: size, files: [])
            return ArtifactUpload(workerId: worker.id, attempt: 1, sha256: sha256, size: size, inputKey: sha256, metadata: metadata,
                                  kconfig: "CONFIG_EXT4_FS=y\n")
        }

        /// A recorded artifact of a new build in the scenario's project.
        func artifact() async throws -> ArtifactRecord {
            let (build, worker) = try await claimedBuild()
            return try await fixtures.store.artifacts.record(try await upload(for: build, worker: worker), build: build.id,
                                                             token: workerTokenID, storageKey: "test", sign: shelf.signer.sign)
        }

        /// A new x86_64 target system in the scenario's project.
        func system() async throws -> TargetSystem {
            try await fixtures.store.systems.create(
                NewTargetSystem(name: Fixtures.unique("sys"), architecture: .x86_64, projectId: project.id),
                by: accounts[.farmAdmin]!.user.id)
        }

        /// A scheduled deployment of a new artifact to a new system.
        func deployment() async throws -> DeploymentRecord {
            let (artifact, system) = (try await artifact(), try await system())
            return try await fixtures.store.deployments.create(
                NewDeployment(buildArtifactId: artifact.id, targetSystems: [system.id], scheduleFor: Date().addingTimeInterval(3600)),
                by: accounts[.farmAdmin]!.user.id)
        }

        /// A deployment to a new system, started, its target installing.
        func runningDeployment() async throws -> (DeploymentRecord, UUID) {
            let deployment = try await deployment()
            try await fixtures.store.client.query("""
                UPDATE deployments SET status = 'in_progress', started_at = now() WHERE id = \(deployment.id)
                """)
            try await fixtures.store.client.query("""
                UPDATE deployment_targets SET status = 'in_progress', started_at = now() WHERE deployment_id = \(deployment.id)
                """)
            return (deployment, deployment.targetSystems[0].id)
        }

        /// The user a call acts as (the token owner for the others).
        func user(_ caller: Caller) -> User { (accounts[caller] ?? accounts[.farmAdmin]!).user }
    }

    struct Call {
        var path: String
        var body: String?
    }

    /// How to call each route so that an authorized caller succeeds.
    static let calls: [String: @Sendable (Scenario, Caller) async throws -> Call] = [
        "GET /health": { _, _ in Call(path: "/health") },
        "GET /ready": { _, _ in Call(path: "/ready") },
        "POST /users": { _, _ in Call(path: "/users", body: json(["username": Fixtures.unique("u")])) },
        "GET /users/me": { _, _ in Call(path: "/users/me") },
        "POST /users/:id/tokens": { s, c in
            Call(path: "/users/\(s.user(c).id.lowercased)/tokens", body: json(["name": "t"]))
        },
        "GET /users/:id/tokens": { s, c in Call(path: "/users/\(s.user(c).id.lowercased)/tokens") },
        "DELETE /users/:id/tokens/:tokenId": { s, c in
            let (token, _) = try await s.fixtures.store.users.createToken(for: s.user(c).id, name: "x", expiresAt: nil, by: nil)
            return Call(path: "/users/\(s.user(c).id.lowercased)/tokens/\(token.id.lowercased)")
        },
        "POST /projects": { _, _ in Call(path: "/projects", body: json(["name": Fixtures.unique("p")])) },
        "GET /projects": { _, _ in Call(path: "/projects") },
        "GET /projects/:id": { s, _ in Call(path: "/projects/\(s.projectID)") },
        "GET /projects/:id/members": { s, _ in Call(path: "/projects/\(s.projectID)/members") },
        "PUT /projects/:id/members/:userId": { s, _ in
            let newcomer = try await s.fixtures.account()
            return Call(path: "/projects/\(s.projectID)/members/\(newcomer.user.id.lowercased)", body: json(["role": "viewer"]))
        },
        "DELETE /projects/:id/members/:userId": { s, _ in
            let leaving = try await s.fixtures.account()
            _ = try await s.fixtures.store.projects.setMember(leaving.user.id, role: .viewer, in: s.project.id, by: nil)
            return Call(path: "/projects/\(s.projectID)/members/\(leaving.user.id.lowercased)")
        },
        "GET /configurations": { s, _ in Call(path: "/configurations?project_id=\(s.projectID)") },
        "POST /configurations": { s, _ in
            Call(path: "/configurations", body: json([
                "name": Fixtures.unique("c"), "baseVersion": "6.1", "architecture": "arm64", "projectId": s.projectID,
            ]))
        },
        "GET /configurations/:id": { s, _ in Call(path: "/configurations/\(s.configurationID)") },
        "PATCH /configurations/:id": { s, _ in
            Call(path: "/configurations/\(s.configurationID)", body: json(["description": Fixtures.unique("d")]))
        },
        "POST /configurations/:id/versions": { s, _ in Call(path: "/configurations/\(s.configurationID)/versions", body: "{}") },
        "GET /configurations/:id/versions/:versionId": { s, _ in
            Call(path: "/configurations/\(s.configurationID)/versions/\(s.versionID)")
        },
        "POST /configurations/:id/versions/:versionId/lock": { s, _ in
            Call(path: "/configurations/\(s.configurationID)/versions/\(s.versionID)/lock")
        },
        "POST /builds": { s, _ in
            Call(path: "/builds", body: json(["configVersionId": s.versionID, "environment": "ci", "priority": "low"]))
        },
        "GET /builds": { _, _ in Call(path: "/builds") },
        "GET /builds/:id": { s, _ in
            let build = try await s.queuedBuild()
            return Call(path: "/builds/\(build.id.lowercased)")
        },
        "GET /builds/:id/logs": { s, _ in
            let build = try await s.queuedBuild()
            return Call(path: "/builds/\(build.id.lowercased)/logs?limit=10")
        },
        "GET /builds/:id/events": { s, _ in
            // A finished build's stream ends at once.
            let build = try await s.queuedBuild()
            _ = try await s.fixtures.store.builds.cancel(build.id, by: s.accounts[.developer]!.user.id)
            return Call(path: "/builds/\(build.id.lowercased)/events")
        },
        "POST /builds/:id/cancel": { s, _ in
            let build = try await s.queuedBuild()
            return Call(path: "/builds/\(build.id.lowercased)/cancel")
        },
        "POST /builds/:id/retry": { s, _ in
            let build = try await s.queuedBuild()
            _ = try await s.fixtures.store.builds.cancel(build.id, by: s.accounts[.developer]!.user.id)
            return Call(path: "/builds/\(build.id.lowercased)/retry")
        },
        "POST /workers": { _, _ in
            Call(path: "/workers", body: json([
                "name": Fixtures.unique("w"), "cores": 2, "memoryMb": 4096,
                "toolchains": [["architecture": "x86_64", "compiler": "gcc-12.2.0"]],
            ]))
        },
        "GET /workers": { _, _ in Call(path: "/workers") },
        "GET /kernels": { _, _ in Call(path: "/kernels") },
        "GET /kernels/:series/modules": { s, _ in Call(path: "/kernels/\(try await s.kernelSeries(published: true))/modules?q=ext") },
        "GET /kernels/:series/modules/:name": { s, _ in
            Call(path: "/kernels/\(try await s.kernelSeries(published: true))/modules/ext4")
        },
        "PUT /kernels/:series/catalog": { s, _ in
            let series = try await s.kernelSeries(published: false)
            let body = String(decoding: try JSONEncoder().encode(KernelModuleCatalog.sample(series: series)), as: UTF8.self)
            return Call(path: "/kernels/\(series)/catalog", body: body)
        },
        "POST /builds/:id/claim": { s, _ in
            let (build, worker) = (try await s.queuedBuild(), try await s.worker())
            return Call(path: "/builds/\(build.id.lowercased)/claim", body: json(["workerId": worker.id.lowercased, "attempt": 1]))
        },
        "POST /builds/:id/heartbeat": { s, _ in
            let (build, worker) = try await s.claimedBuild()
            return Call(path: "/builds/\(build.id.lowercased)/heartbeat", body: json(["workerId": worker.id.lowercased, "attempt": 1]))
        },
        "PUT /artifact-blobs/:sha256": { s, _ in
            let bytes = Fixtures.unique("kernel")
            let sha256 = SHA256.hash(data: Array(bytes.utf8)).map { String(format: "%02x", $0) }.joined()
            let (build, worker) = try await s.claimedBuild()
            return Call(path: "/artifact-blobs/\(sha256)?build=\(build.id.lowercased)&workerId=\(worker.id.lowercased)&attempt=1",
                        body: bytes)
        },
        "POST /builds/:id/artifact": { s, _ in
            let (build, worker) = try await s.claimedBuild()
            let body = String(decoding: try JSONEncoder().encode(try await s.upload(for: build, worker: worker)), as: UTF8.self)
            return Call(path: "/builds/\(build.id.lowercased)/artifact", body: body)
        },
        "POST /builds/:id/cache-hit": { s, _ in
            let producer = try await s.artifact()
            let (build, worker) = try await s.claimedBuild()
            return Call(path: "/builds/\(build.id.lowercased)/cache-hit", body: json([
                "workerId": worker.id.lowercased, "attempt": 1, "inputKey": producer.sha256,
            ]))
        },
        "GET /artifacts": { _, _ in Call(path: "/artifacts?arch=x86_64") },
        "GET /artifacts/:id": { s, _ in Call(path: "/artifacts/\(try await s.artifact().id.lowercased)") },
        "GET /artifacts/:id/download": { s, _ in Call(path: "/artifacts/\(try await s.artifact().id.lowercased)/download") },
        "GET /signing-key": { _, _ in Call(path: "/signing-key") },
        "POST /systems": { s, _ in
            Call(path: "/systems", body: json(["name": Fixtures.unique("sys"), "architecture": "arm64", "projectId": s.projectID]))
        },
        "GET /systems": { s, _ in Call(path: "/systems?project_id=\(s.projectID)") },
        "GET /systems/:id": { s, _ in Call(path: "/systems/\(try await s.system().id.lowercased)") },
        "POST /deployments": { s, _ in
            let (artifact, system) = (try await s.artifact(), try await s.system())
            return Call(path: "/deployments", body: json([
                "buildArtifactId": artifact.id.lowercased, "targetSystems": [system.id.lowercased],
            ]))
        },
        "GET /deployments": { _, _ in Call(path: "/deployments?status=scheduled") },
        "GET /deployments/:id": { s, _ in Call(path: "/deployments/\(try await s.deployment().id.lowercased)") },
        "POST /deployments/:id/cancel": { s, _ in Call(path: "/deployments/\(try await s.deployment().id.lowercased)/cancel") },
        "POST /systems/:id/heartbeat": { s, _ in
            Call(path: "/systems/\(try await s.system().id.lowercased)/heartbeat", body: json(["activeSlot": "a"]))
        },
        "GET /systems/:id/deployments/:deploymentId/artifact": { s, _ in
            let deployment = try await s.deployment()
            return Call(path: "/systems/\(deployment.targetSystems[0].id.lowercased)/deployments/\(deployment.id.lowercased)/artifact")
        },
        "POST /systems/:id/deployments/:deploymentId/report": { s, _ in
            let (deployment, system) = try await s.runningDeployment()
            return Call(path: "/systems/\(system.lowercased)/deployments/\(deployment.id.lowercased)/report",
                        body: json(["action": "install", "phase": "started", "switches": [String]()]))
        },
        "GET /systems/:id/history": { s, _ in Call(path: "/systems/\(try await s.system().id.lowercased)/history") },
        "GET /artifacts/:id/lineage": { s, _ in Call(path: "/artifacts/\(try await s.artifact().id.lowercased)/lineage") },
        "GET /artifacts/:id/diff": { s, _ in
            let (first, second) = (try await s.artifact(), try await s.artifact())
            return Call(path: "/artifacts/\(second.id.lowercased)/diff?against=\(first.id.lowercased)")
        },
        "GET /configurations/:id/versions/:versionId/diff": { s, _ in
            Call(path: "/configurations/\(s.configurationID)/versions/\(s.versionID)/diff?against=\(s.versionID)")
        },
        "GET /audit": { _, _ in Call(path: "/audit") },
    ]

    /// What the requirement promises each caller.
    static func expected(_ requirement: Requirement, _ caller: Caller) -> String {
        let tokenless: Set<Caller> = [.noToken, .expiredToken, .revokedToken]
        // Machine tokens call only the endpoints made for their kind.
        let machines: [Requirement: Caller] = [.worker: .workerToken, .system: .systemToken]
        if let machine = machines[requirement] {
            if tokenless.contains(caller) { return "401" }
            return caller == machine ? "2xx" : "403"
        }
        if requirement != .open && machines.values.contains(caller) { return "403" }
        switch requirement {
        case .open:
            return "2xx"
        case .user:
            return tokenless.contains(caller) ? "401" : "2xx"
        case .farmAdmin:
            if tokenless.contains(caller) { return "401" }
            return caller == .farmAdmin ? "2xx" : "403"
        case .worker, .system:
            preconditionFailure("handled above")
        case .project(let needed):
            if tokenless.contains(caller) { return "401" }
            let roles: [Caller: ProjectRole] = [
                .viewer: .viewer, .developer: .developer, .releaseManager: .release_manager,
                .projectAdmin: .admin, .farmAdmin: .admin,
            ]
            guard let role = roles[caller] else { return "404" }
            return role >= needed ? "2xx" : "403"
        }
    }

    @Test func everyRouteAnswersEveryCallerAsItsRequirementSays() async throws {
        let shelf = try ArtifactShelf.forTests()
        try await withAPI(shelf: shelf) { api, fixtures in
            let table = endpoints(store: fixtures.store, shelf: shelf)
            var mismatches: [String] = []
            var checked = 0
            for endpoint in table {
                let key = "\(endpoint.method) \(endpoint.path)"
                guard let makeCall = Self.calls[key] else {
                    Issue.record("no matrix row for \(key): add one to AuthorizationMatrixTests.calls")
                    continue
                }
                let scenario = try await Scenario.make(fixtures, shelf: shelf)
                for caller in Caller.allCases {
                    let call = try await makeCall(scenario, caller)
                    var headers: HTTPFields = [:]
                    if let authorization = scenario.authorization(caller) { headers[.authorization] = authorization }
                    if call.body != nil { headers[.contentType] = "application/json" }
                    let reply = try await api.send(endpoint.method, call.path, headers: headers, body: call.body)
                    let got = (200..<300).contains(reply.status.code) ? "2xx" : String(reply.status.code)
                    let want = Self.expected(endpoint.requirement, caller)
                    if got != want { mismatches.append("\(key) as \(caller): got \(got) want \(want) \(reply.errorMessage ?? "")") }
                    checked += 1
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
            #expect(checked == table.count * Caller.allCases.count)
            #expect(Set(Self.calls.keys) == Set(table.map { "\($0.method) \($0.path)" }), "stale matrix rows")
        }
    }

    @Test func readmeDocumentsTheMatrix() async throws {
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../README.md").standardized,
            encoding: .utf8)
        try await TestDatabase.withStore { store in
            for endpoint in endpoints(store: store, shelf: try ArtifactShelf.forTests()) {
                let row = "| `\(endpoint.method) \(endpoint.path)` | \(endpoint.requirement.summary) |"
                #expect(readme.contains(row), "README lacks the matrix row: \(row)")
            }
        }
    }
}
