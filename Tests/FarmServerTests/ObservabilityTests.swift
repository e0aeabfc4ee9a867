import AMQP
import FarmBus
import FarmModel
@testable import FarmServer
import FarmStore
import FarmTelemetry
import FarmTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// Issue 17's logs and probes: a request id on every response and log
/// line, one JSON line per request, `/ready` reporting PostgreSQL and the
/// broker, and `/metrics` that promtool accepts and that moves with the farm.
@Suite struct ObservabilityTests {
    @Test func everyResponseCarriesARequestIdTheCallersWhenItIsPlain() async throws {
        try await withAPI { api, _ in
            let generated = try await api.send(.get, "/health")
            #expect(UUID(uuidString: generated.headers[.xRequestId] ?? "") != nil)
            let again = try await api.send(.get, "/health")
            #expect(again.headers[.xRequestId] != generated.headers[.xRequestId])
            let offered = try await api.send(.get, "/health", headers: [.xRequestId: "lb-7f3a.42:trace_1"])
            #expect(offered.headers[.xRequestId] == "lb-7f3a.42:trace_1")
            for hostile in ["a b", "x\"}{", String(repeating: "a", count: 129), "é"] {
                let reply = try await api.send(.get, "/health", headers: [.xRequestId: hostile])
                #expect(UUID(uuidString: reply.headers[.xRequestId] ?? "") != nil, "\(hostile) was taken")
            }
            // Refusals and unknown paths too.
            #expect(try await api.send(.get, "/builds").headers[.xRequestId] != nil)
            #expect(try await api.send(.get, "/no/such/path").headers[.xRequestId] != nil)
        }
    }

    @Test func eachRequestIsOneJSONLogLineWithRouteStatusDurationAndBuild() async throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "kfarm.test") { label in
            JSONLogHandler(label: label, output: .init { line in lines.withLock { $0.append(line) } })
        }
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let version = try await fixtures.configuration(in: project, by: developer).versions[0].id
            let build = try await store.builds.submit(NewBuild(configVersionId: version), by: developer.user.id)
            let app = Application(router: buildRouter(store: store, shelf: try ArtifactShelf.forTests(), rateLimits: generousLimits),
                                  logger: logger)
            try await app.test(.router) { client in
                let reply = try await API(client: client).send(.get, "/builds/\(build.id.lowercased)?token=kfarm_leaked",
                                                               as: developer)
                #expect(reply.status == .ok)
                let entries = lines.withLock { $0 }.compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
                let entry = try #require(entries.first { $0["message"] as? String == "request" })
                #expect(entry["request.id"] as? String == reply.headers[.xRequestId])
                #expect(entry["http.method"] as? String == "GET")
                #expect(entry["http.route"] as? String == "/builds/{id}")
                #expect(entry["http.status"] as? String == "200")
                #expect(entry["build.id"] as? String == build.id.lowercased)
                #expect(Double(entry["duration_ms"] as? String ?? "") != nil)
                #expect(entry["http.path"] as? String == "/builds/\(build.id.lowercased)?token=REDACTED")
            }
        }
    }

    @Test func readyReportsPostgreSQLAndTheRelaysBrokerConnection() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["KFARM_TEST_AMQP_URL"],
                               "KFARM_TEST_AMQP_URL is not set: run the tests with scripts/test.sh, which starts RabbitMQ")
        let broker = try AMQPConfiguration(url: url)
        try await TestDatabase.withStore { store in
            let link = BrokerLink()
            let app = Application(router: buildRouter(store: store, shelf: try ArtifactShelf.forTests(), broker: link),
                                  logger: TestDatabase.logger)
            try await app.test(.router) { client in
                let api = API(client: client)
                let down = try await api.send(.get, "/ready")
                #expect(down.status == .serviceUnavailable && down.errorCode == "SERVICE_UNAVAILABLE")
                #expect(down.errorDetails["broker"] as? String == "down")
                #expect(down.errorDetails["postgresql"] as? String == "up")
                let session = Task {
                    await BrokerSession.run(broker, declaresTopology: false, link: link, logger: TestDatabase.logger) { _ in
                        try await Task.sleep(for: .seconds(60))
                    }
                }
                var up = down
                for _ in 0..<50 where up.status != .ok {
                    try await Task.sleep(for: .milliseconds(100))
                    up = try await api.send(.get, "/ready")
                }
                #expect(up.status == .ok && up.data["broker"] as? String == "up" && up.data["postgresql"] as? String == "up")
                session.cancel()
                await session.value
                #expect(try await api.send(.get, "/ready").status == .serviceUnavailable)
            }
        }
    }

    @Test func metricsPassPromtoolAndMoveWhenABuildIsClaimed() async throws {
        // Other suites of this process read /metrics too, and the gauges are the process's:
        // the farm's exact figures are checked in the count itself, the exposition for what it holds.
        try await withAPI(freshDatabase: true) { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let version = try await fixtures.configuration(in: project, by: developer, architecture: .riscv64).versions[0].id
            let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: version), by: developer.user.id)
            let (worker, secret) = try await fixtures.worker([Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")])

            let counted = try await fixtures.store.census.take()
            #expect(counted[.builds][["queued"]] == 1 && counted[.queued][["riscv64", "normal"]] == 1)
            #expect(counted[.workers][["riscv64", "idle"]] == 1 && counted[.outboxBacklog][[]] == 1)
            let before = Exposition(try await api.send(.get, "/metrics"))
            let claim = try await api.send(.post, "/builds/\(build.id.lowercased)/claim",
                                           headers: [.authorization: "Bearer \(secret)", .contentType: "application/json"],
                                           body: json(["workerId": worker.id.lowercased, "attempt": 1]))
            #expect(claim.status == .ok)
            let recounted = try await fixtures.store.census.take()
            #expect(recounted[.builds][["queued"]] ?? 0 == 0 && recounted[.builds][["in_progress"]] == 1)
            #expect(recounted[.workers][["riscv64", "busy"]] == 1)

            let after = Exposition(try await api.send(.get, "/metrics"))
            for family in ["kfarm_builds", "kfarm_queue_depth", "kfarm_workers", "kfarm_outbox_backlog", "kfarm_deployments",
                           "http_server_request_duration_seconds"] {
                #expect(after.families.contains(family), "no \(family)")
            }
            let waits = "kfarm_build_submit_to_claim_seconds_count"
            #expect((after.value(waits, ["architecture": "riscv64"]) ?? 0) >= (before.value(waits, ["architecture": "riscv64"]) ?? 0) + 1)
            #expect((after.value("http_server_requests_total",
                                 ["http_route": "/builds/{id}/claim", "http_request_method": "POST", "http_response_status_code": "200"]) ?? 0) >= 1)
            // (Other suites of this test process add kfarm_test_ families of their own.)
            let undocumented = after.families.filter { MetricCatalog.help[$0] == nil && !$0.hasPrefix("kfarm_test_") }
            #expect(undocumented.isEmpty, "families without help: \(undocumented)")
            #expect(try after.promtoolProblems() == nil)
        }
    }

    @Test func unknownPathsShareOneRouteLabel() async throws {
        try await withAPI { api, _ in
            let paths = (0..<3).map { _ in "/no-such-\(UUID().lowercased)" }
            for path in paths { #expect(try await api.send(.get, path).status == .notFound) }
            let metrics = Exposition(try await api.send(.get, "/metrics"))
            #expect(metrics.value("http_server_requests_total", ["http_route": "NotFound", "http_request_method": "GET", "http_response_status_code": "404"]) ?? 0 >= 3)
            #expect(paths.allSatisfy { !metrics.text.contains($0) }, "a path became a label")
        }
    }
}

extension Exposition {
    init(_ reply: Reply) {
        self.init(String(decoding: reply.body, as: UTF8.self))
    }
}
