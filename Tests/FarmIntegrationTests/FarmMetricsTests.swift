import FarmModel
import FarmTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 17: a real build through the farm moves the API's metrics and the
/// worker's own (`--metrics-port`), and promtool accepts both.
extension FarmTests {
    @Test func aBuildMovesTheAPIsAndTheWorkersMetrics() async throws {
        try await TestFarm.run { farm in
            let port = try TestPorts.unused()
            let settings = try await farm.workerSettings([.x86_64])
            let worker = try farm.startWorkerProcess(settings, environment: [:],
                                                     arguments: ["--metrics-port", "\(port)", "--log-format", "json"])
            defer { worker.terminate() }
            let before = try await farm.metrics()
            let build = try await farm.finished(try await farm.submit(.x86_64))
            #expect(build.status == .completed)
            try await Task.sleep(for: .milliseconds(1100))  // the farm is counted at most once a second

            let api = try await farm.metrics()
            #expect(api.value("kfarm_builds", ["status": "completed"]) == 1)
            #expect(api.value("kfarm_queue_depth", ["architecture": "x86_64"]) ?? 0 == 0)
            #expect(api.value("kfarm_workers", ["architecture": "x86_64", "state": "idle"]) == 1)
            #expect(api.value("kfarm_artifact_stored_bytes") == 0, "fixture builds upload nothing (the kernel scenario checks bytes)")
            #expect(api.value("kfarm_outbox_backlog") == 0)
            let claims = "kfarm_build_submit_to_claim_seconds_count"
            #expect(api.value(claims, ["architecture": "x86_64"]) ?? 0 == (before.value(claims, ["architecture": "x86_64"]) ?? 0) + 1)
            // The recorder times the stages whose start and end came in separate batches (a fast one may not).
            let timed = BuildStage.allCases.compactMap {
                api.value("kfarm_build_stage_duration_seconds_count", ["architecture": "x86_64", "stage": $0.rawValue])
            }
            #expect(timed.reduce(0, +) >= 1, "the recorder timed no stage")
            #expect(api.value("kfarm_recorder_lag_seconds_count") ?? 0 > before.value("kfarm_recorder_lag_seconds_count") ?? 0)
            #expect(try api.promtoolProblems() == nil)

            let own = try Self.workerMetrics(port: port)
            #expect(own.value("kfarm_worker_builds_total", ["architecture": "x86_64", "ending": "completed"]) == 1)
            for stage in BuildStage.allCases {
                #expect(own.value("kfarm_worker_stage_duration_seconds_count", ["architecture": "x86_64", "stage": stage.rawValue]) == 1,
                        "the worker timed no \(stage.rawValue)")
            }
            #expect(own.value("kfarm_worker_stage_duration_seconds_sum", ["architecture": "x86_64", "stage": "compiling_core"]) ?? 0 > 0)
            #expect(own.value("kfarm_worker_spool_backlog_attempts") == 0)
            #expect(try own.promtoolProblems() == nil)
        }
    }

    /// The worker process's `/metrics`, read with curl as a scraper would.
    private static func workerMetrics(port: Int) throws -> Exposition {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-fsS", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        #expect(curl.terminationStatus == 0)
        return Exposition(text)
    }
}

extension TestFarm {
    /// The API's `/metrics`.
    func metrics() async throws -> Exposition {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        return Exposition(String(buffer: response.body))
    }
}
