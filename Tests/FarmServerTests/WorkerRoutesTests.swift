import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct WorkerRoutesTests {
    private func registration(_ name: String, _ architectures: [String]) -> String {
        json(["name": name, "cores": 2, "memoryMb": 8192,
              "toolchains": architectures.map { ["architecture": $0, "compiler": "gcc-12.2.0"] }])
    }

    @Test func workersJoinAreListedAndKeepTheirNames() async throws {
        try await withAPI { api, fixtures in
            let (secret, _) = try await fixtures.workerToken()
            let (otherSecret, _) = try await fixtures.workerToken()
            let viewer = try await fixtures.account()
            let name = Fixtures.unique("builder")
            let auth: HTTPFields = [.authorization: "Bearer \(secret)", .contentType: "application/json"]
            let joined = try await api.send(.post, "/workers", headers: auth, body: registration(name, ["x86_64", "arm64", "riscv64"]))
            #expect(joined.status == .created)
            #expect(joined.data["architectures"] as? [String] == ["x86_64", "arm64", "riscv64"])
            #expect(joined.data["state"] as? String == "idle")
            let again = try await api.send(.post, "/workers", headers: auth, body: registration(name, ["arm64"]))
            #expect(again.data["id"] as? String == joined.data["id"] as? String, "a restart keeps the worker")
            #expect(again.data["architectures"] as? [String] == ["arm64"])
            let stolen = try await api.send(.post, "/workers", headers: [.authorization: "Bearer \(otherSecret)", .contentType: "application/json"],
                                            body: registration(name, ["arm64"]))
            #expect(stolen.status == .conflict)
            let invalid = try await api.send(.post, "/workers", headers: auth,
                                             body: json(["name": "bad name", "cores": 0, "memoryMb": 1, "toolchains": []]))
            #expect(Set(invalid.invalidFields.keys) == ["name", "cores", "memoryMb", "toolchains"])

            let listed = try await api.send(.get, "/workers?limit=100", as: viewer)
            let names = (listed.data["workers"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            #expect(names.contains(name))
        }
    }

    @Test func exactlyOneOfTwoConcurrentClaimsWins() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(
                in: project, by: developer, architecture: .riscv64,
                modules: [ModuleSpec(name: "ext4", path: "fs/ext4", isBuiltin: true, isRequired: true)])
            let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id),
                                                               by: developer.user.id)
            var workers: [(secret: String, id: String)] = []
            for _ in 0..<2 {
                let (secret, tokenID) = try await fixtures.workerToken()
                let worker = try await fixtures.store.workers.register(
                    WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")],
                                       cores: 2, memoryMb: 4096), token: tokenID)
                workers.append((secret, worker.id.lowercased))
            }
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for worker in workers {
                    group.addTask {
                        try await api.send(.post, "/builds/\(build.id.lowercased)/claim",
                                           headers: [.authorization: "Bearer \(worker.secret)", .contentType: "application/json"],
                                           body: json(["workerId": worker.id, "attempt": 1]))
                    }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(replies.map(\.status).sorted { $0.code < $1.code } == [.ok, .conflict])
            // The winner learns what to build: the kernel version and the modules.
            let plan = try #require(replies.first { $0.status == .ok }?.data["plan"] as? [String: Any])
            #expect(plan["baseVersion"] as? String == "6.1.0")
            #expect((plan["modules"] as? [[String: Any]])?.map { $0["path"] as? String } == ["fs/ext4"])
            let after = try #require(try await fixtures.store.builds.find(id: build.id))
            #expect(after.status == .in_progress)
            var states: [Worker.State] = []
            for worker in workers {
                let id = try #require(UUID(uuidString: worker.id))
                let found = try await fixtures.store.workers.find(id: id)
                states.append(try #require(found).state)
            }
            #expect(states.sorted { $0.rawValue < $1.rawValue } == [.busy, .idle])
        }
    }

    @Test func aBusyWorkerShowsItsBuildOnlyToThoseWhoMaySeeTheBuild() async throws {
        try await withAPI { api, fixtures in
            let (developer, outsider, admin) = (try await fixtures.account(), try await fixtures.account(), try await fixtures.account(.admin))
            let project = try await fixtures.project(members: [(developer, .developer)])
            _ = try await fixtures.project(members: [(outsider, .admin)])
            let configuration = try await fixtures.configuration(in: project, by: developer, architecture: .riscv64)
            let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id),
                                                               by: developer.user.id)
            let (_, tokenID) = try await fixtures.workerToken()
            let worker = try await fixtures.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096), token: tokenID)
            _ = try await fixtures.store.workers.claim(build.id, BuildClaim(workerId: worker.id, attempt: 1), token: tokenID, lease: 60)

            // The shared database holds other tests' workers: page until this one.
            func listed(as account: Fixtures.Account) async throws -> [String: Any] {
                for page in 1... {
                    let reply = try await api.send(.get, "/workers?limit=100&page=\(page)", as: account)
                    let workers = reply.data["workers"] as? [[String: Any]] ?? []
                    if let found = workers.first(where: { $0["name"] as? String == worker.name }) { return found }
                    if workers.isEmpty { break }
                }
                return try #require(nil as [String: Any]?, "worker \(worker.name) is not listed")
            }
            for account in [developer, admin] {
                let seen = try await listed(as: account)
                #expect(seen["state"] as? String == "busy")
                let builds = seen["currentBuilds"] as? [[String: Any]] ?? []
                #expect(builds.map { $0["id"] as? String } == [build.id.lowercased])
                #expect(builds.first?["buildNumber"] as? String == build.buildNumber)
                #expect(builds.first?["architecture"] as? String == "riscv64")
            }
            // Another project's member learns the worker is busy, not with what.
            let foreign = try await listed(as: outsider)
            #expect(foreign["state"] as? String == "busy")
            #expect((foreign["currentBuilds"] as? [Any])?.isEmpty == true, "\(foreign)")
        }
    }

    @Test func staleWrongArchitectureCancelledAndForeignClaimsAreRefused() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer, architecture: .arm64)
            let (secret, tokenID) = try await fixtures.workerToken()
            let (otherSecret, _) = try await fixtures.workerToken()
            let x86Only = try await fixtures.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("x86"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096), token: tokenID)
            let arm = try await fixtures.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("arm"), toolchains: [Toolchain(architecture: .arm64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096), token: tokenID)
            func claim(_ build: BuildRecord, worker: Worker, attempt: Int, secret: String) async throws -> Reply {
                try await api.send(.post, "/builds/\(build.id.lowercased)/claim",
                                   headers: [.authorization: "Bearer \(secret)", .contentType: "application/json"],
                                   body: json(["workerId": worker.id.lowercased, "attempt": attempt]))
            }
            let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id),
                                                               by: developer.user.id)
            let wrongArch = try await claim(build, worker: x86Only, attempt: 1, secret: secret)
            #expect(wrongArch.status == .conflict && wrongArch.errorDetails["architecture"] as? String == "arm64")
            #expect(try await claim(build, worker: arm, attempt: 2, secret: secret).status == .conflict, "stale or future attempts lose")
            let foreign = try await claim(build, worker: arm, attempt: 1, secret: otherSecret)
            #expect(foreign.status == .badRequest && foreign.invalidFields["workerId"] != nil, "not this token's worker")
            _ = try await fixtures.store.builds.cancel(build.id, by: developer.user.id)
            let cancelled = try await claim(build, worker: arm, attempt: 1, secret: secret)
            #expect(cancelled.status == .conflict && cancelled.errorDetails["status"] as? String == "cancelled")
            let unknown = try await api.send(.post, "/builds/\(UUID().lowercased)/claim",
                                             headers: [.authorization: "Bearer \(secret)", .contentType: "application/json"],
                                             body: json(["workerId": arm.id.lowercased, "attempt": 1]))
            #expect(unknown.status == .notFound)
        }
    }
}

@Suite struct LeaseTests {
    /// A queued riscv64 build claimed by a fresh worker.
    private func claimedBuild(_ fixtures: Fixtures) async throws -> (BuildRecord, Worker, UUID, String) {
        let developer = try await fixtures.account()
        let project = try await fixtures.project(members: [(developer, .developer)])
        let configuration = try await fixtures.configuration(in: project, by: developer, architecture: .riscv64)
        let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id),
                                                           by: developer.user.id)
        let admin = try await fixtures.account(.admin)
        let (token, secret) = try await fixtures.store.users.createToken(
            for: admin.user.id, name: "worker", kind: .worker, expiresAt: nil, by: nil)
        let worker = try await fixtures.store.workers.register(
            WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")],
                               cores: 2, memoryMb: 4096), token: token.id)
        _ = try await fixtures.store.workers.claim(build.id, BuildClaim(workerId: worker.id, attempt: 1), token: token.id, lease: 60)
        return (build, worker, token.id, secret.value)
    }

    private func expireLease(_ build: BuildRecord, _ fixtures: Fixtures) async throws {
        try await fixtures.store.client.query(
            "UPDATE builds SET lease_expires_at = now() - interval '1 second' WHERE id = \(build.id)")
    }

    @Test func heartbeatsRenewTheLeaseUntilTheBuildIsCancelled() async throws {
        try await withAPI { api, fixtures in
            let (build, worker, _, secret) = try await claimedBuild(fixtures)
            let path = "/builds/\(build.id.lowercased)/heartbeat"
            let headers: HTTPFields = [.authorization: "Bearer \(secret)", .contentType: "application/json"]
            let beat = try await api.send(.post, path, headers: headers, body: json(["workerId": worker.id.lowercased, "attempt": 1]))
            #expect(beat.status == .ok)
            let expiry = try #require(Timestamp.parse(beat.data["leaseExpiresAt"] as? String ?? ""))
            #expect(expiry.timeIntervalSinceNow > 50)
            let stale = try await api.send(.post, path, headers: headers, body: json(["workerId": worker.id.lowercased, "attempt": 2]))
            #expect(stale.status == .conflict)
            _ = try await fixtures.store.builds.cancel(build.id, by: build.initiator.id)
            let stop = try await api.send(.post, path, headers: headers, body: json(["workerId": worker.id.lowercased, "attempt": 1]))
            #expect(stop.status == .conflict && stop.errorDetails["status"] as? String == "cancelled")
        }
    }

    @Test func expiredLeasesAreRequeuedAsTheNextAttemptThenFailAsInfrastructure() async throws {
        // A database of its own: the reaper takes every expired lease, other tests' too.
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let (build, worker, tokenID, _) = try await claimedBuild(fixtures)
            try await expireLease(build, fixtures)
            let first = try await store.builds.reapExpiredLeases(maxAttempts: 2)
            #expect(first.requeued.contains(build.id))
            let requeued = try #require(try await store.builds.find(id: build.id))
            #expect(requeued.status == .queued && requeued.attempt == 2 && requeued.stages.allSatisfy { $0.status == .pending })
            let dispatches = try await store.client.query("""
                SELECT body FROM outbox WHERE exchange = 'kfarm.builds' AND body LIKE \("%\(build.id.lowercased)%") ORDER BY id
                """).collect().map { try JSONDecoder().decode(BuildDispatch.self, from: Data(try $0.decode(String.self).utf8)) }
            #expect(dispatches.map(\.attempt) == [1, 2])
            // The lost worker's stale claim and heartbeat lose; attempt 2 can be claimed.
            await #expect(throws: StoreError.self) {
                try await store.workers.heartbeat(build.id, BuildClaim(workerId: worker.id, attempt: 1), token: tokenID, lease: 60)
            }
            _ = try await store.workers.claim(build.id, BuildClaim(workerId: worker.id, attempt: 2), token: tokenID, lease: 60)
            try await expireLease(build, fixtures)
            let second = try await store.builds.reapExpiredLeases(maxAttempts: 2)
            #expect(second.failed.contains(build.id))
            let failed = try #require(try await store.builds.find(id: build.id))
            #expect(failed.status == .failed)
            #expect(failed.failure == BuildFailure(kind: .infrastructure, reason: "worker lost: the lease expired (attempt 2 of 2)"))
            #expect(failed.completedAt != nil)
            #expect(failed.stages.allSatisfy { $0.status == .skipped })
        }
    }

    @Test func anAttemptOfAnUnknownArchitectureIsNotRequeuedAsAnotherOne() async throws {
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let (build, _, _, _) = try await claimedBuild(fixtures)
            try await expireLease(build, fixtures)
            try await store.client.query("UPDATE builds SET architecture = 'sparc64' WHERE id = \(build.id)")
            await #expect(throws: StoreError.unavailable("build \(build.id.lowercased) has unknown architecture sparc64")) {
                try await store.builds.reapExpiredLeases(maxAttempts: 2)
            }
            let untouched = try await store.client.query("SELECT status, attempt FROM builds WHERE id = \(build.id)")
                .collect().map { try $0.decode((String, Int).self) }
            #expect(untouched.first?.0 == "in_progress" && untouched.first?.1 == 1)
        }
    }
}
