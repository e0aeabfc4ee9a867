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

    struct Call {
        var path: String
        var body: String?
    }

    /// How to call each route so that an authorized caller succeeds.
    static let calls: [String: @Sendable (Scenario, Caller) async throws -> Call] = [
        "GET /health": { _, _ in Call(path: "/health") },
        "GET /ready": { _, _ in Call(path: "/ready") },
        "GET /metrics": { _, _ in Call(path: "/metrics") },
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
        "POST /builds/:id/source": { s, _ in
            let (build, worker) = try await s.claimedBuild()
            let (git, ref) = ("git://127.0.0.1/linux.git", "v6.1")
            try await s.fixtures.store.client.query(
                "UPDATE configurations SET source_git = \(git), source_ref = \(ref) WHERE id = \(build.config.id)")
            return Call(path: "/builds/\(build.id.lowercased)/source",
                        body: json(["workerId": worker.id.lowercased, "attempt": 1,
                                    "source": ["git": git, "ref": ref, "commit": String(repeating: "c0", count: 20)]]))
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
        "GET /artifacts/:id/packages/:name": { s, _ in
            Call(path: "/artifacts/\(try await s.artifact().id.lowercased)/packages/\(Scenario.packageName)")
        },
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
        case .session:
            preconditionFailure("the dashboard's pages are checked with sessions, in DashboardAccessTests")
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
            // The dashboard's pages take a session cookie, not a token: DashboardAccessTests checks them.
            let table = endpoints(store: fixtures.store, shelf: shelf).filter { $0.requirement != .session }
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
