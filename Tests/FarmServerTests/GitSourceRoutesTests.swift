import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

/// Configurations naming a kernel tree from git: only what the farm's
/// administrator allows, and the commit a worker checked out, on the build.
@Suite struct GitSourceRoutesTests {
    static let allowed = GitAllowList(["git://127.0.0.1/", "https://git.kernel.org/pub/scm/linux/kernel/git/"])
    static let stable = ["git": "https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git", "ref": "v6.1.69"]

    private func request(_ project: Project, source: [String: String]?) -> String {
        var body = ConfigurationRoutesTests.seedRequest(project: project.id.lowercased, name: Fixtures.unique("git"))
        body["source"] = source
        return json(body)
    }

    @Test func aConfigurationNamesAnAllowedSourceAndShowsIt() async throws {
        try await withAPI(gitSources: Self.allowed) { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let created = try await api.send(.post, "/configurations", as: developer, json: request(project, source: Self.stable))
            #expect(created.status == .created)
            #expect(created.data["source"] as? [String: String] == Self.stable)
            let id = try #require(created.data["id"] as? String)
            let shown = try await api.send(.get, "/configurations/\(id)", as: developer)
            #expect(shown.data["source"] as? [String: String] == Self.stable)
            #expect((shown.data["externalModules"] as? [Any])?.isEmpty == true)
            let hello = ["name": "hello", "git": "git://127.0.0.1/hello.git", "ref": "v1"]
            let withModule = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["externalModules": [hello]]))
            #expect(withModule.data["externalModules"] as? [[String: String]] == [hello])
            let plain = try await api.send(.post, "/configurations", as: developer, json: request(project, source: nil))
            #expect(plain.status == .created && plain.data["source"] is NSNull)

            let moved = ["git": Self.stable["git"]!, "ref": "linux-6.1.y"]
            let patched = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["source": moved]))
            #expect(patched.status == .ok && patched.data["source"] as? [String: String] == moved)
            let version = try #require((created.data["versions"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await api.send(.post, "/configurations/\(id)/versions/\(version)/lock", as: developer).status == .ok)
            let locked = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["source": Self.stable]))
            #expect(locked.status == .conflict)
            #expect(locked.errorMessage?.contains("source and externalModules cannot change while versions are locked") == true)
            let lockedModules = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["externalModules": []]))
            #expect(lockedModules.status == .conflict)
        }
    }

    @Test func aSourceTheFarmDoesNotFetchIsRefusedAndNothingIsWritten() async throws {
        try await withAPI(gitSources: Self.allowed) { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let refused: [([String: String], String, String)] = [
                (["git": "https://evil.example.org/linux.git", "ref": "main"], "source.git",
                 "is not allowed: this farm fetches git sources only under: git://127.0.0.1/, https://git.kernel.org/pub/scm/linux/kernel/git/"),
                (["git": "https://git.kernel.org/pub/scm/linux/kernel/git-evil/x.git", "ref": "main"], "source.git", "is not allowed"),
                (["git": "ext::sh -c reboot", "ref": "main"], "source.git", "must be a URL"),
                (["git": Self.stable["git"]!, "ref": "--upload-pack"], "source.ref", "tag, branch or commit"),
                (["git": Self.stable["git"]!, "ref": "v6.1;reboot"], "source.ref", "may contain only"),
            ]
            for (source, field, message) in refused {
                let reply = try await api.send(.post, "/configurations", as: developer, json: request(project, source: source))
                #expect(reply.status == .badRequest && reply.errorCode == "VALIDATION_ERROR", "\(source)")
                #expect(reply.invalidFields[field]?.contains(message) == true, "\(source): \(reply.invalidFields)")
            }
            var withModule = ConfigurationRoutesTests.seedRequest(project: project.id.lowercased, name: Fixtures.unique("git"))
            withModule["externalModules"] = [["name": "hello", "git": "https://evil.example.org/hello.git", "ref": "v1"]]
            let module = try await api.send(.post, "/configurations", as: developer, json: json(withModule))
            #expect(module.status == .badRequest && module.invalidFields["externalModules[0].git"]?.hasPrefix("is not allowed") == true)
            let missingRef = try await api.send(.post, "/configurations", as: developer,
                                                json: request(project, source: ["git": Self.stable["git"]!]))
            #expect(missingRef.status == .badRequest)
            let count = try await fixtures.store.client.query("SELECT count(*) FROM configurations WHERE project_id = \(project.id)")
                .collect().map { try $0.decode(Int.self) }.first
            #expect(count == 0)
        }
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let reply = try await api.send(.post, "/configurations", as: developer, json: request(project, source: Self.stable))
            #expect(reply.invalidFields["source.git"]?.contains("allows none: --git-allow") == true)
        }
    }

    @Test func theWorkerReportsTheCommitAndTheBuildShowsIt() async throws {
        try await withAPI(gitSources: Self.allowed) { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let created = try await api.send(.post, "/configurations", as: developer, json: request(project, source: Self.stable))
            let version = try #require((created.data["versions"] as? [[String: Any]])?.first?["id"] as? String)
            let (worker, secret) = try await fixtures.worker([Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")])
            let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: try #require(UUID(uuidString: version))),
                                                               by: developer.user.id)
            let headers: HTTPFields = [.authorization: "Bearer \(secret)", .contentType: "application/json"]
            let claimed = try await api.send(.post, "/builds/\(build.id.lowercased)/claim", headers: headers,
                                             body: json(["workerId": worker.id.lowercased, "attempt": 1]))
            #expect((claimed.data["plan"] as? [String: Any])?["source"] as? [String: String] == Self.stable)
            let before = try await api.send(.get, "/builds/\(build.id.lowercased)", as: developer)
            #expect(before.data["source"] is NSNull)

            let commit = String(repeating: "0a", count: 20)
            let path = "/builds/\(build.id.lowercased)/source"
            func report(_ source: [String: String], attempt: Int = 1) async throws -> Reply {
                try await api.send(.post, path, headers: headers,
                                   body: json(["workerId": worker.id.lowercased, "attempt": attempt, "source": source]))
            }
            let other = try await report(["git": Self.stable["git"]!, "ref": "main", "commit": commit])
            #expect(other.status == .badRequest && other.invalidFields["source"] != nil)
            let notACommit = try await report(Self.stable.merging(["commit": "HEAD"]) { $1 })
            #expect(notACommit.invalidFields["source.commit"] != nil)
            #expect(try await report(Self.stable.merging(["commit": commit]) { $1 }, attempt: 2).status == .conflict)
            let reported = try await report(Self.stable.merging(["commit": commit]) { $1 })
            #expect(reported.status == .ok)
            let after = try await api.send(.get, "/builds/\(build.id.lowercased)", as: developer)
            #expect(after.data["source"] as? [String: String] == Self.stable.merging(["commit": commit]) { $1 })
            let stranger = try await fixtures.workerToken()
            let foreign = try await api.send(.post, path, headers: [.authorization: "Bearer \(stranger.secret)", .contentType: "application/json"],
                                             body: json(["workerId": worker.id.lowercased, "attempt": 1,
                                                         "source": Self.stable.merging(["commit": commit]) { $1 }]))
            #expect(foreign.status == .badRequest && foreign.invalidFields["workerId"] != nil)
        }
    }
}
