import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// What the recorder stores from workers' events, and the log endpoint.
@Suite struct BuildEventsAndLogsTests {
    struct Running {
        let developer: Fixtures.Account
        let build: BuildRecord
        let worker: Worker
    }

    private func runningBuild(_ fixtures: Fixtures) async throws -> Running {
        let developer = try await fixtures.account()
        let project = try await fixtures.project(members: [(developer, .developer)])
        let configuration = try await fixtures.configuration(in: project, by: developer, architecture: .arm64)
        let submitted = try await fixtures.store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id),
                                                               by: developer.user.id)
        let tokenID = try await fixtures.workerToken().id
        let worker = try await fixtures.store.workers.register(
            WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .arm64, compiler: "gcc-12.2.0")],
                               cores: 2, memoryMb: 4096), token: tokenID)
        let build = try await fixtures.store.workers.claim(submitted.id, BuildClaim(workerId: worker.id, attempt: 1),
                                                           token: tokenID, lease: 60).build
        return Running(developer: developer, build: build, worker: worker)
    }

    private func batch(_ running: Running, attempt: Int = 1, worker: UUID? = nil, _ events: [BuildEventPayload]) -> BuildEventBatch {
        BuildEventBatch(buildId: running.build.id, attempt: attempt, workerId: worker ?? running.worker.id, events: events)
    }

    @Test func replayedEventsChangeNothingAndLogsPageAndStream() async throws {
        try await withAPI { api, fixtures in
            let r = try await runningBuild(fixtures)
            let lines = (1...2500).map { "line \($0)" }
            let first = batch(r, [.stage(name: .initialization, status: .in_progress), .log(first: 1, lines: Array(lines[0..<1500]))])
            let second = batch(r, [
                .log(first: 1501, lines: Array(lines[1500...])), .stage(name: .initialization, status: .completed),
                .progress(percent: 20), .stage(name: .compiling_core, status: .in_progress),
            ])
            // The second batch twice and the first again after it: a redelivery.
            try await fixtures.store.events.record([first, second, second], maxAttempts: 3)
            try await fixtures.store.events.record([first], maxAttempts: 3)
            let running = try #require(try await fixtures.store.builds.find(id: r.build.id))
            #expect(running.stages.map(\.status) == [.completed, .in_progress, .pending, .pending, .pending])
            #expect(running.currentStage == .compiling_core && running.progress == 20)

            let id = r.build.id.lowercased
            let page1 = try await api.send(.get, "/builds/\(id)/logs?limit=1000", as: r.developer)
            #expect(page1.status == .ok)
            #expect((page1.data["lines"] as? [[String: Any]])?.count == 1000)
            #expect(page1.data["nextAfter"] as? Int == 1000 && page1.data["finished"] as? Bool == false)
            let last = try await api.send(.get, "/builds/\(id)/logs?after=2000&limit=1000", as: r.developer)
            let texts = (last.data["lines"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
            #expect(texts == Array(lines[2000...]), "each line once, in order")
            #expect(last.data["finished"] as? Bool == false, "the build still runs")

            // Events of another worker or attempt are not this attempt's.
            try await fixtures.store.events.record(
                [batch(r, worker: UUID(), [.result(.completed)]), batch(r, attempt: 2, [.result(.completed)])], maxAttempts: 3)
            #expect(try await fixtures.store.builds.find(id: r.build.id)?.status == .in_progress)

            try await fixtures.store.events.record([batch(r, [.stage(name: .compiling_core, status: .completed), .result(.completed)])],
                                                   maxAttempts: 3)
            let done = try #require(try await fixtures.store.builds.find(id: r.build.id))
            #expect(done.status == .completed && done.progress == 100)
            #expect(done.stages.map(\.status) == [.completed, .completed, .skipped, .skipped, .skipped])
            // Late events of a finished build change nothing.
            try await fixtures.store.events.record([batch(r, [.stage(name: .testing, status: .in_progress)])], maxAttempts: 3)
            #expect(try await fixtures.store.builds.find(id: r.build.id)?.stages.last?.status == .skipped)

            let stream = try await api.client.execute(
                uri: "/builds/\(id)/events?after=2490", method: .get, headers: [.authorization: r.developer.authorization])
            #expect(stream.status == .ok && stream.headers[.contentType] == "text/event-stream")
            let events = String(buffer: stream.body)
            #expect(events.hasPrefix("id: 2491\ndata: line 2491\n\n"))
            #expect(events.components(separatedBy: "\nid: ").count == 10)
            // Then where the build stands, as typed events without ids, and the end.
            let typed = "id: 2500\ndata: line 2500\n\n"
                + "event: status\ndata: {\"attempt\":1,\"status\":\"completed\"}\n\n"
                + "event: progress\ndata: {\"percent\":100}\n\n"
                + BuildStage.allCases.map { stage in
                    let status = [.initialization, .compiling_core].contains(stage) ? "completed" : "skipped"
                    return "event: stage\ndata: {\"name\":\"\(stage.rawValue)\",\"status\":\"\(status)\"}\n\n"
                }.joined()
                + "event: end\ndata: {\"attempt\":1}\n\n"
            #expect(events.hasSuffix(typed), "\(events.suffix(900))")
            // An EventSource reconnecting says where it was with Last-Event-ID; the further of it and `after` counts.
            let lastEventID = try #require(HTTPField.Name("Last-Event-ID"))
            let resumed = try await api.client.execute(
                uri: "/builds/\(id)/events?after=10", method: .get,
                headers: [.authorization: r.developer.authorization, lastEventID: "2497"])
            #expect(String(buffer: resumed.body).hasPrefix("id: 2498\ndata: line 2498\n\n"))
            let refused = try await api.send(.get, "/builds/\(id)/events",
                                             headers: [.authorization: r.developer.authorization, lastEventID: "x"])
            #expect(refused.status == .badRequest && refused.errorCode == "VALIDATION_ERROR")
        }
    }

    @Test func infrastructureFailuresAreRetriedAndBuildFailuresAreNot() async throws {
        try await withAPI { _, fixtures in
            let lost = try await runningBuild(fixtures)
            try await fixtures.store.events.record(
                [batch(lost, [.log(first: 1, lines: ["fatal: No space left on device"]),
                              .result(.failed(.infrastructure, "out of disk space"))])], maxAttempts: 2)
            let retried = try #require(try await fixtures.store.builds.find(id: lost.build.id))
            #expect(retried.status == .queued && retried.attempt == 2 && retried.claimedAt == nil)
            #expect(retried.stages.allSatisfy { $0.status == .pending })
            let dispatches = try await fixtures.store.client.query("""
                SELECT count(*) FROM outbox WHERE body::jsonb->>'buildId' = \(lost.build.id.lowercased)
                                              AND body::jsonb->>'attempt' = '2'
                """).collect().map { try $0.decode(Int.self) }
            #expect(dispatches == [1], "dispatched again as attempt 2")

            let broken = try await runningBuild(fixtures)
            let tail = (1...30).map { "error line \($0)" }
            try await fixtures.store.events.record(
                [batch(broken, [.stage(name: .initialization, status: .in_progress), .log(first: 1, lines: tail),
                                .stage(name: .initialization, status: .failed),
                                .result(.failed(.build, "initialization: `make olddefconfig` exited with status 2"))])],
                maxAttempts: 3)
            let failed = try #require(try await fixtures.store.builds.find(id: broken.build.id))
            #expect(failed.status == .failed && failed.attempt == 1)
            #expect(failed.failure == BuildFailure(kind: .build, reason: "initialization: `make olddefconfig` exited with status 2",
                                                   logTail: Array(tail.suffix(BuildFailure.tailLength))))
            #expect(failed.stages.map(\.status) == [.failed, .skipped, .skipped, .skipped, .skipped])
        }
    }

    /// The recorder writes what arrived together with a few statements for
    /// all builds: interleaved batches of several builds still end each one
    /// as its own events say.
    @Test func batchesOfSeveralBuildsRecordedTogetherEndEachBuildOnItsOwn() async throws {
        try await withAPI { _, fixtures in
            let completing = try await runningBuild(fixtures)
            let failing = try await runningBuild(fixtures)
            let lost = try await runningBuild(fixtures)
            let stillRunning = try await runningBuild(fixtures)
            try await fixtures.store.events.record([
                batch(completing, [.stage(name: .initialization, status: .in_progress), .log(first: 1, lines: ["a1"])]),
                batch(failing, [.stage(name: .initialization, status: .in_progress), .log(first: 1, lines: ["b1", "b2"])]),
                batch(stillRunning, [.stage(name: .initialization, status: .completed), .progress(percent: 30),
                                     .stage(name: .compiling_core, status: .in_progress)]),
                batch(completing, [.stage(name: .initialization, status: .completed), .log(first: 2, lines: ["a2"]),
                                   .result(.completed)]),
                batch(failing, [.stage(name: .initialization, status: .failed), .result(.failed(.build, "broken Kconfig"))]),
                batch(lost, [.result(.failed(.infrastructure, "worker lost"))]),
                batch(stillRunning, worker: UUID(), [.result(.completed)]),
            ], maxAttempts: 3)
            let a = try #require(try await fixtures.store.builds.find(id: completing.build.id))
            #expect(a.status == .completed && a.stages.map(\.status) == [.completed, .skipped, .skipped, .skipped, .skipped])
            let b = try #require(try await fixtures.store.builds.find(id: failing.build.id))
            #expect(b.status == .failed && b.failure?.kind == .build && b.failure?.logTail == ["b1", "b2"])
            let c = try #require(try await fixtures.store.builds.find(id: lost.build.id))
            #expect(c.status == .queued && c.attempt == 2)
            let d = try #require(try await fixtures.store.builds.find(id: stillRunning.build.id))
            #expect(d.status == .in_progress && d.progress == 30 && d.currentStage == .compiling_core)
            let logs = try await fixtures.store.logs.page(of: completing.build.id, attempt: nil, after: 0, limit: 10)
            #expect(logs?.lines.map(\.text) == ["a1", "a2"])
        }
    }

    /// What a kernel build enabled and warned about is shown on the build, whether it completed or failed.
    @Test func findingsOfAnOutcomeAreShownOnTheBuild() async throws {
        try await withAPI { api, fixtures in
            let findings = BuildFindings(
                enabledDependencies: [.init(symbol: "BLOCK", value: "y", neededBy: "EXT4_FS", origin: "module ext4")],
                warnings: ["btrfs: parameter raid_levels is not declared by the module; kept, not applied"])
            let (completed, failed) = (try await runningBuild(fixtures), try await runningBuild(fixtures))
            try await fixtures.store.events.record(
                [batch(completed, [.result(BuildOutcome(status: .completed, failure: nil, findings: findings))]),
                 batch(failed, [.result(BuildOutcome(status: .failed, failure: BuildFailure(kind: .build, reason: "dropped"),
                                                     findings: BuildFindings(warnings: ["dummy: needs NET"])))])],
                maxAttempts: 3)
            let shown = try await api.send(.get, "/builds/\(completed.build.id.lowercased)", as: completed.developer)
            let enabled = try #require(shown.data["enabledDependencies"] as? [[String: String]])
            #expect(enabled == [["symbol": "BLOCK", "value": "y", "neededBy": "EXT4_FS", "origin": "module ext4"]])
            #expect(shown.data["warnings"] as? [String] == findings.warnings)
            let failure = try await api.send(.get, "/builds/\(failed.build.id.lowercased)", as: failed.developer)
            #expect(failure.data["status"] as? String == "failed" && failure.data["warnings"] as? [String] == ["dummy: needs NET"])
            #expect((failure.data["enabledDependencies"] as? [Any])?.isEmpty == true)
            let queued = try await fixtures.store.builds.find(id: try await fixtures.store.builds.submit(
                NewBuild(configVersionId: completed.build.configVersion.id), by: completed.developer.user.id).id)
            #expect(queued?.enabledDependencies == [] && queued?.warnings == [], "none until an outcome is recorded")
        }
    }

    @Test func logQueriesAreValidated() async throws {
        try await withAPI { api, fixtures in
            let r = try await runningBuild(fixtures)
            let id = r.build.id.lowercased
            let bad = try await api.send(.get, "/builds/\(id)/logs?limit=0&after=-1&attempt=x", as: r.developer)
            #expect(bad.status == .badRequest)
            #expect(Set(bad.invalidFields.keys) == ["limit", "after", "attempt"])
            let unknown = try await api.send(.get, "/builds/\(UUID().lowercased)/logs", as: r.developer)
            #expect(unknown.status == .notFound)
            let empty = try await api.send(.get, "/builds/\(id)/logs?attempt=7", as: r.developer)
            #expect(empty.status == .ok && (empty.data["lines"] as? [Any])?.isEmpty == true && empty.data["attempt"] as? Int == 7)
        }
    }
}
