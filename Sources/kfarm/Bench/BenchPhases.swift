import FarmMachine
import FarmWorker
import Foundation
import Synchronization

/// The benchmark's measurements.
struct BenchPhases: Sendable {
    let client: BenchClient

    struct Percentiles {
        var p50: Duration
        var p99: Duration

        init(_ samples: [Duration]) {
            let sorted = samples.sorted()
            p50 = sorted[sorted.count / 2]
            p99 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        }
    }

    /// From sending `POST /builds` until `GET /builds/{id}` shows a worker
    /// has claimed it, one build at a time on an otherwise idle farm.
    func claimLatency(version: String, samples: Int) async throws -> Percentiles {
        var latencies: [Duration] = []
        for _ in 0..<samples {
            let start = ContinuousClock.now
            let id = try await client.submit(version: version)
            while try await client.send(.GET, "/builds/\(id)")["status"] as? String == "queued" {
                try await Task.sleep(for: .milliseconds(1))
            }
            latencies.append(ContinuousClock.now - start)
        }
        return Percentiles(latencies)
    }

    /// The floor under every API figure: `GET /health` round trips.
    func roundTrip(samples: Int) async throws -> Percentiles {
        var times: [Duration] = []
        for _ in 0..<samples {
            let start = ContinuousClock.now
            _ = try await client.send(.GET, "/health")
            times.append(ContinuousClock.now - start)
        }
        return Percentiles(times)
    }

    struct Throughput {
        var elapsed: Duration
        var buildsPerSecond: Double
        var submitsPerSecond: Double
        var withFiveStages: Int
    }

    /// `builds` submitted by `clients` at once; elapsed runs from the first
    /// submit until every one is completed.
    func throughput(configuration: (id: String, version: String), builds: Int, clients: Int) async throws -> Throughput {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<clients {
                group.addTask {
                    for _ in stride(from: lane, to: builds, by: clients) { _ = try await client.submit(version: configuration.version) }
                }
            }
            try await group.waitForAll()
        }
        let submitted = ContinuousClock.now - start
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            if try await completed(configuration.id) == builds { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let elapsed = ContinuousClock.now - start
        return Throughput(elapsed: elapsed, buildsPerSecond: Double(builds) / elapsed.inSeconds,
                          submitsPerSecond: Double(builds) / submitted.inSeconds,
                          withFiveStages: try await withFiveCompletedStages(configuration.id, builds: builds))
    }

    private func completed(_ configuration: String) async throws -> Int {
        let page = try await client.send(.GET, "/builds?config=\(configuration)&status=completed&limit=1")
        return (page["pagination"] as? [String: Any])?["total"] as? Int ?? 0
    }

    private func withFiveCompletedStages(_ configuration: String, builds: Int) async throws -> Int {
        var count = 0
        for page in 1...max(1, (builds + 99) / 100) {
            let listing = try await client.send(.GET, "/builds?config=\(configuration)&status=completed&limit=100&page=\(page)")
            for build in listing["builds"] as? [[String: Any]] ?? [] {
                let stages = build["stages"] as? [[String: Any]] ?? []
                if stages.count == 5 && stages.allSatisfy({ $0["status"] as? String == "completed" }) { count += 1 }
            }
        }
        return count
    }

    struct LogStream {
        var lines: Int
        var elapsed: Duration
        var linesPerSecond: Double
        var complete: Bool
        var problem: String
    }

    /// One log-flood build followed from submission over Server-Sent Events
    /// (`curl -N`); elapsed runs from the first line to the end event.
    func logStream(version: String, lines expected: Int, apiURL: URL, token: String) async throws -> LogStream {
        let id = try await client.submit(version: version)
        let reader = StreamTiming()
        let status = try await CommandRunner.run(
            Command("curl", ["-sSN", "-H", "Authorization: Bearer \(token)",
                             URL(string: "/builds/\(id)/events", relativeTo: apiURL)!.absoluteString]),
            onLines: reader.take)
        let (numbers, first, last) = reader.result
        let elapsed = (last ?? .now) - (first ?? .now)
        var problem = status == 0 ? "" : "curl exited with status \(status)"
        // The worker logs the command line before the flood's own lines.
        let complete = numbers == Array(1...(expected + 1))
        if !complete && problem.isEmpty { problem = "\(numbers.count) lines arrived, \(Set(numbers).count) distinct" }
        return LogStream(lines: numbers.count, elapsed: elapsed, linesPerSecond: Double(numbers.count) / max(elapsed.inSeconds, 1e-9),
                         complete: complete, problem: problem)
    }
}

/// Times a Server-Sent Events stream as curl hands it over, line by line:
/// the line numbers of its events, when the first arrived and when the
/// `end` event did.
final class StreamTiming: Sendable {
    private struct State {
        var reader = EventStreamReader()
        var numbers: [Int] = []
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    var result: ([Int], ContinuousClock.Instant?, ContinuousClock.Instant?) {
        state.withLock { ($0.numbers, $0.first, $0.last) }
    }

    @Sendable func take(_ lines: [String]) {
        let now = ContinuousClock.now
        state.withLock { state in
            for event in state.reader.feed(lines.map { $0 + "\n" }.joined().utf8) {
                if event.type == "end" {
                    state.last = now
                } else if let number = event.id.flatMap(Int.init) {
                    state.numbers.append(number)
                    state.first = state.first ?? now
                }
            }
        }
    }
}
