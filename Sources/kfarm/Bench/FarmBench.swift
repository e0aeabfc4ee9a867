import ArgumentParser
import FarmModel
import FarmWorker
import Foundation

/// Measures the farm from outside, over HTTP, as its users see it (start
/// it with scripts/bench.sh, which brings up a farm with no-op and
/// log-flood workers and measures the Celery baseline in the same run).
struct FarmBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "farm",
        abstract: "Measure a running farm: submit→claim latency, builds/s end to end, log lines/s to a follower.",
        discussion: """
            Needs an admin's token in KFARM_TOKEN, a worker with --recipe noop serving
            --architecture, and (for the log phase) a worker with --recipe log-flood
            serving --log-architecture. Prints figures; asserts nothing about speed.
            """)

    @Option(help: "The API.")
    var apiURL = "http://127.0.0.1:8080"

    @Option(help: "No-op builds submitted for the throughput phase.")
    var builds = 2000

    @Option(help: "Concurrent HTTP clients submitting them.")
    var clients = 16

    @Option(help: "Builds submitted one at a time on the idle farm for the latency phase.")
    var latencySamples = 200

    @Option(help: "The no-op worker's architecture.")
    var architecture = Architecture.x86_64

    @Option(help: "The log-flood worker's architecture (none: skip the log phase).")
    var logArchitecture: Architecture?

    @Option(help: "Lines the log-flood worker prints per build (its --flood-lines).")
    var logLines = 100_000

    func run() async throws {
        guard let token = ProcessInfo.processInfo.environment["KFARM_TOKEN"] else {
            throw ValidationError("set KFARM_TOKEN to an admin's token")
        }
        guard let api = URL(string: apiURL) else { throw ValidationError("--api-url must be a URL") }
        let client = BenchClient(baseURL: api, token: token)
        let run = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        guard let project = try await client.send(.POST, "/projects", ["name": run])["id"] as? String else {
            throw BenchError("no project id")
        }
        let phases = BenchPhases(client: client)

        let idle = try await client.configuration(in: project, architecture: architecture, name: "\(run)-latency")
        let latency = try await phases.claimLatency(version: idle.version, samples: latencySamples)
        let roundTrip = try await phases.roundTrip(samples: latencySamples)
        print("submit → claim, idle farm, \(latencySamples) builds one at a time: p50 \(ms(latency.p50)) ms, p99 \(ms(latency.p99)) ms"
              + "  (an HTTP round trip here: p50 \(ms(roundTrip.p50)) ms, p99 \(ms(roundTrip.p99)) ms)")

        let busy = try await client.configuration(in: project, architecture: architecture, name: "\(run)-throughput")
        let throughput = try await phases.throughput(configuration: busy, builds: builds, clients: clients)
        print("end to end: \(builds) no-op builds in \(seconds(throughput.elapsed)) s = \(Int(throughput.buildsPerSecond)) builds/s "
              + "(submitted at \(Int(throughput.submitsPerSecond))/s by \(clients) clients); "
              + "\(throughput.withFiveStages) of \(builds) completed with their five stages")
        print("BENCH builds_per_second=\(Int(throughput.buildsPerSecond)) claim_p50_ms=\(ms(latency.p50)) claim_p99_ms=\(ms(latency.p99))")

        if let logArchitecture {
            let flood = try await client.configuration(in: project, architecture: logArchitecture, name: "\(run)-log")
            let log = try await phases.logStream(version: flood.version, lines: logLines, apiURL: api, token: token)
            print("log streaming: \(log.lines) lines to a following client in \(seconds(log.elapsed)) s = \(Int(log.linesPerSecond)) lines/s; "
                  + (log.complete ? "none lost (lines 1…\(log.lines), each once)" : "INCOMPLETE: \(log.problem)"))
            print("BENCH log_lines_per_second=\(Int(log.linesPerSecond)) log_complete=\(log.complete)")
        }
    }

    private func ms(_ duration: Duration) -> String {
        String(format: "%.1f", duration.inSeconds * 1000)
    }

    private func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", duration.inSeconds)
    }
}
