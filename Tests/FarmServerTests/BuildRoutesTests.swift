import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct BuildRoutesTests {
    struct Setup {
        let developer: Fixtures.Account
        let viewer: Fixtures.Account
        let project: Project
        let configuration: ConfigurationDetail
        var versionID: String { configuration.versions[0].id.lowercased }
    }

    private func setup(_ fixtures: Fixtures, architecture: Architecture = .riscv64) async throws -> Setup {
        let developer = try await fixtures.account()
        let viewer = try await fixtures.account()
        let project = try await fixtures.project(members: [(developer, .developer), (viewer, .viewer)])
        let configuration = try await fixtures.configuration(in: project, by: developer, architecture: architecture,
                                                             modules: [ModuleSpec(name: "ext4", isBuiltin: true)])
        return Setup(developer: developer, viewer: viewer, project: project, configuration: configuration)
    }

    @Test func submitAnswersInTheSeedsShapeAndLocksTheVersion() async throws {
        try await withAPI { api, fixtures in
            let s = try await setup(fixtures)
            _ = try await fixtures.worker([Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")])
            let reply = try await api.send(.post, "/builds", as: s.developer, json: json([
                "configVersionId": s.versionID, "environment": "production", "priority": "high",
                "options": ["debugSymbols": true, "optimizationLevel": 2, "compilerVersion": "gcc-12.2.0"],
            ]))
            #expect(reply.status == .created)
            let data = reply.data
            #expect(isLowercaseUUID(data["id"]))
            let number = try #require(data["buildNumber"] as? String)
            #expect(number.wholeMatch(of: /BUILD-\d{4}-\d{2}-\d{2}-\d{3,}/) != nil)
            let today = ISO8601DateFormatter().string(from: Date()).prefix(10)
            #expect(number.hasPrefix("BUILD-\(today)-"))
            #expect(data["status"] as? String == "queued")
            #expect(isSeedTimestamp(data["startedAt"]) && isSeedTimestamp(data["estimatedCompletion"]))
            #expect(data["configVersion"] as? [String: String] == ["id": s.versionID, "version": "1.0.0"])
            #expect(data["config"] as? [String: String]
                == ["id": s.configuration.configuration.id.lowercased, "name": s.configuration.configuration.name])
            #expect(data["initiator"] as? [String: String]
                == ["id": s.developer.user.id.lowercased, "username": s.developer.user.username])
            #expect(data["progress"] as? Int == 0)
            #expect(data["currentStage"] is NSNull)
            let stages = try #require(data["stages"] as? [[String: Any]])
            #expect(stages.compactMap { $0["name"] as? String }
                == ["initialization", "compiling_core", "compiling_modules", "packaging", "testing"])
            #expect(stages.allSatisfy { $0["status"] as? String == "pending" && $0["startedAt"] is NSNull })
            #expect((data["options"] as? [String: Any])?["compilerVersion"] as? String == "gcc-12.2.0")
            // With no history, the documented default: 30 minutes.
            let started = try #require(Timestamp.parse(data["startedAt"] as? String ?? ""))
            let estimate = try #require(Timestamp.parse(data["estimatedCompletion"] as? String ?? ""))
            #expect(abs(estimate.timeIntervalSince(started) - BuildRepository.defaultDuration) < 5)

            let version = try await api.send(.get, "/configurations/\(s.configuration.configuration.id.lowercased)/versions/\(s.versionID)", as: s.viewer)
            #expect(version.data["isLocked"] as? Bool == true)
            let change = try await api.send(.patch, "/configurations/\(s.configuration.configuration.id.lowercased)",
                                            as: s.developer, json: json(["modules": [["name": "xfs"]]]))
            #expect(change.status == .conflict, "a built version is immutable")

            let read = try await api.send(.get, "/builds/\(data["id"] as? String ?? "")", as: s.viewer)
            #expect(read.status == .ok && read.data["buildNumber"] as? String == number)
        }
    }

    /// The contract writes `optimizationLevel` as a number; `"s"` asks for size.
    @Test func optimizationLevelsTheKernelBuildsAreAccepted() async throws {
        try await withAPI { api, fixtures in
            let s = try await setup(fixtures)
            for level: Any in [3, "s", 2] {
                let reply = try await api.send(.post, "/builds", as: s.developer, json: json([
                    "configVersionId": s.versionID, "options": ["optimizationLevel": level],
                ]))
                #expect(reply.status == .created, "\(level): \(reply.invalidFields)")
                let options = try #require(reply.data["options"] as? [String: Any])
                #expect("\(options["optimizationLevel"] ?? "")" == "\(level)")
            }
        }
    }

    /// Packages are part of the options (and so of the build-cache key) only when some are asked for.
    @Test func debianPackagesAreAnOptionShownOnlyWhenAskedFor() async throws {
        try await withAPI { api, fixtures in
            let s = try await setup(fixtures)
            for (asked, shown) in [(["deb", "deb"], ["deb"]), ([], nil)] as [([String], [String]?)] {
                let reply = try await api.send(.post, "/builds", as: s.developer, json: json([
                    "configVersionId": s.versionID, "options": ["packages": asked],
                ]))
                #expect(reply.status == .created, "\(asked): \(reply.invalidFields)")
                let options = try #require(reply.data["options"] as? [String: Any])
                #expect(options["packages"] as? [String] == shown, "\(asked)")
            }
            let encoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(BuildOptions(packages: []))) as? [String: Any]
            #expect(encoded?.keys.sorted() == ["compilerVersion", "debugSymbols", "noCache", "optimizationLevel"],
                    "no packages key: the build-cache keys of builds without packages stay as they were")
        }
    }

    @Test func concurrentSubmitsGetUniqueGapFreeNumbers() async throws {
        try await withAPI { api, fixtures in
            let s = try await setup(fixtures)
            let numbers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<15 {
                    group.addTask {
                        try await api.send(.post, "/builds", as: s.developer, json: json(["configVersionId": s.versionID]))
                            .data["buildNumber"] as? String
                    }
                }
                return try await group.reduce(into: [String]()) { if let number = $1 { $0.append(number) } }
            }
            #expect(Set(numbers).count == 15)
            // Gap-free across the whole day, whatever else ran concurrently.
            let (count, highest) = try await fixtures.store.client.query("""
                SELECT count(*), max(substring(build_number from '\\d+$')::int) FROM builds
                WHERE build_number LIKE 'BUILD-' || to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') || '-%'
                """).collect().map { try $0.decode((Int, Int).self) }.first!
            #expect(count == highest)
        }
    }

    @Test func badInputAndForeignVersionsAreRefused() async throws {
        try await withAPI { api, fixtures in
            let s = try await setup(fixtures)
            let outsider = try await fixtures.account()
            let cases: [([String: Any], String)] = [
                (["configVersionId": s.versionID, "priority": "urgent"], "priority"),
                (["configVersionId": s.versionID, "environment": "prod env"], "environment"),
                (["configVersionId": s.versionID, "options": ["optimizationLevel": 7]], "options.optimizationLevel"),
                // The kernel does not build without optimisation: refused before anything is queued.
                (["configVersionId": s.versionID, "options": ["optimizationLevel": 1]], "options.optimizationLevel"),
                (["configVersionId": s.versionID, "options": ["optimizationLevel": 0]], "options.optimizationLevel"),
                (["configVersionId": s.versionID, "options": ["optimizationLevel": "x"]], "options.optimizationLevel"),
                (["configVersionId": s.versionID, "options": ["compilerVersion": "gcc; rm -rf /"]], "options.compilerVersion"),
                (["configVersionId": s.versionID, "options": ["debugSymbols": "yes"]], "options.debugSymbols"),
                (["configVersionId": s.versionID, "options": ["packages": ["rpm"]]], "options.packages[0]"),
                (["configVersionId": s.versionID, "options": ["packages": "deb"]], "options.packages"),
                (["configVersionId": "not-a-uuid"], "configVersionId"),
            ]
            for (body, field) in cases {
                let reply = try await api.send(.post, "/builds", as: s.developer, json: json(body))
                #expect(reply.status == .badRequest, "\(body)")
                #expect(reply.invalidFields[field] != nil, "\(field) in \(reply.invalidFields)")
            }
            // A compiler no worker offers names what is on offer.
            let offered = "gcc-\(Int.random(in: 100...999)).1.0"
            _ = try await fixtures.worker([Toolchain(architecture: .riscv64, compiler: offered)])
            let unoffered = try await api.send(.post, "/builds", as: s.developer, json: json(
                ["configVersionId": s.versionID, "options": ["compilerVersion": "gcc-1.0.0"]]))
            #expect(unoffered.status == .badRequest)
            let message = try #require(unoffered.invalidFields["options.compilerVersion"])
            #expect(message.contains("no worker offers gcc-1.0.0 for riscv64") && message.contains(offered), "\(message)")
            // A compiler without a version, or with its leading parts, matches what is on offer by whole parts.
            let major = String(offered.dropFirst(4).prefix(3))
            for asked in ["gcc-\(major)", "gcc-\(major).1"] {
                let accepted = try await api.send(.post, "/builds", as: s.developer, json: json(
                    ["configVersionId": s.versionID, "options": ["compilerVersion": asked]]))
                #expect(accepted.status == .created, "\(asked): \(accepted.invalidFields)")
            }
            let clang = try await api.send(.post, "/builds", as: s.developer, json: json(
                ["configVersionId": s.versionID, "options": ["compilerVersion": "clang-16"]]))
            #expect(clang.invalidFields["options.compilerVersion"]?.contains(offered) == true)
            let unknown = try await api.send(.post, "/builds", as: s.developer, json: json(["configVersionId": UUID().lowercased]))
            #expect(unknown.status == .notFound && unknown.errorDetails["resourceType"] as? String == "configurationVersion")
            let hidden = try await api.send(.post, "/builds", as: outsider, json: json(["configVersionId": s.versionID]))
            #expect(hidden.status == .notFound && hidden.errorMessage == unknown.errorMessage)
            #expect(try await api.send(.post, "/builds", as: s.viewer, json: json(["configVersionId": s.versionID])).status == .forbidden)
            let count = try await fixtures.store.client.query(
                "SELECT count(*) FROM builds WHERE configuration_id = \(s.configuration.configuration.id)"
            ).collect().map { try $0.decode(Int.self) }
            #expect(count == [2], "only the two builds whose compiler matched an offer")
        }
    }

    @Test func listingFiltersAndHidesOtherProjects() async throws {
        try await withAPI { api, fixtures in
            let s = try await setup(fixtures, architecture: .arm64)
            let outsider = try await fixtures.account()
            for priority in ["low", "critical"] {
                _ = try await api.send(.post, "/builds", as: s.developer,
                                       json: json(["configVersionId": s.versionID, "priority": priority]))
            }
            let configID = s.configuration.configuration.id.lowercased
            let mine = try await api.send(.get, "/builds?config=\(configID)&arch=arm64&status=queued", as: s.viewer)
            let builds = try #require(mine.data["builds"] as? [[String: Any]])
            #expect(builds.count == 2)
            #expect(builds.compactMap { $0["priority"] as? String } == ["critical", "low"], "newest first")
            #expect((mine.data["pagination"] as? [String: Int])?["total"] == 2)
            let byInitiator = try await api.send(.get, "/builds?initiator=\(s.developer.user.id.lowercased)", as: s.viewer)
            #expect((byInitiator.data["pagination"] as? [String: Int])?["total"] == 2)
            let none = try await api.send(.get, "/builds?config=\(configID)", as: outsider)
            #expect((none.data["pagination"] as? [String: Int])?["total"] == 0)
            #expect(try await api.send(.get, "/builds?status=done", as: s.viewer).invalidFields["status"] != nil)
            #expect(try await api.send(.get, "/builds?arch=sparc", as: s.viewer).invalidFields["arch"] != nil)
        }
    }
}

@Suite struct BuildCancelRetryTests {
    @Test func cancelQueuedThenRetryAsANewBuild() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let viewer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer), (viewer, .viewer)])
            let configuration = try await fixtures.configuration(in: project, by: developer)
            let submitted = try await api.send(.post, "/builds", as: developer, json: json([
                "configVersionId": configuration.versions[0].id.lowercased, "priority": "high", "environment": "staging",
            ]))
            let id = try #require(submitted.data["id"] as? String)

            #expect(try await api.send(.post, "/builds/\(id)/retry", as: developer).status == .conflict, "queued builds are not retried")
            #expect(try await api.send(.post, "/builds/\(id)/cancel", as: viewer).status == .forbidden)
            let cancelled = try await api.send(.post, "/builds/\(id)/cancel", as: developer)
            #expect(cancelled.status == .ok)
            #expect(cancelled.data["status"] as? String == "cancelled")
            #expect(isSeedTimestamp(cancelled.data["completedAt"]))
            #expect((cancelled.data["stages"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "skipped" } == true)
            let again = try await api.send(.post, "/builds/\(id)/cancel", as: developer)
            #expect(again.status == .conflict && again.errorDetails["status"] as? String == "cancelled")

            let retried = try await api.send(.post, "/builds/\(id)/retry", as: developer)
            #expect(retried.status == .created)
            #expect(retried.data["retryOf"] as? String == id)
            #expect(retried.data["status"] as? String == "queued")
            #expect(retried.data["priority"] as? String == "high" && retried.data["environment"] as? String == "staging")
            #expect(retried.data["buildNumber"] as? String != submitted.data["buildNumber"] as? String)
            #expect(try await api.send(.post, "/builds/\(UUID().lowercased)/cancel", as: developer).status == .notFound)
        }
    }

    @Test func cancellingARunningBuildQueuesACancelCommandForItsWorker() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer)
            let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id),
                                                               by: developer.user.id)
            // As a worker's claim will do (the claim endpoint arrives with the workers).
            try await fixtures.store.client.query("""
                UPDATE builds SET status = 'in_progress', current_stage = 'compiling_core' WHERE id = \(build.id)
                """)
            let cancelled = try await api.send(.post, "/builds/\(build.id.lowercased)/cancel", as: developer)
            #expect(cancelled.data["status"] as? String == "cancelled")
            let commands = try await fixtures.store.client.query("""
                SELECT exchange, routing_key, body FROM outbox WHERE routing_key = \("build.\(build.id.lowercased).cancel")
                """).collect().map { try $0.decode((String, String, String).self) }
            #expect(commands.count == 1)
            let command = try JSONDecoder().decode(BuildControl.self, from: Data(commands[0].2.utf8))
            #expect(commands[0].0 == BusNames.controlExchange)
            #expect(command == BuildControl(buildId: build.id, attempt: 1, action: .cancel))
        }
    }
}
