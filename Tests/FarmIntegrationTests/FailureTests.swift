import AMQP
import FarmBus
import FarmMachine
import FarmModel
import FarmStore
import FarmWorker
import Foundation
import Hummingbird
import Testing

extension FarmTests {
    @Test func cancellingARunningBuildStopsItsMakeWithinSeconds() async throws {
        try await TestFarm.run { farm in
            // The fixture's image link waits 60 s: long enough to be caught running.
            let settings = try await farm.workerSettings([.x86_64], environment: ["KFARM_FIXTURE_DELAY": "60"])
            let (configuration, developer) = try await farm.configuration(.x86_64)
            let id = try await farm.submit(configuration, by: developer)
            try await farm.withWorker(settings) {
                _ = try await farm.waitFor(id) { $0.currentStage == .compiling_core }
                let workspace = settings.workDirectory.appendingPathComponent(id.lowercased).path
                #expect(try await processes(mentioning: workspace) > 0, "make runs")
                let response = try await farm.client.execute(
                    uri: "/builds/\(id.lowercased)/cancel", method: .post, headers: [.authorization: developer.authorization])
                #expect(response.status == .ok)
                let deadline = ContinuousClock.now + .seconds(10)
                while try await processes(mentioning: workspace) > 0 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await processes(mentioning: workspace) == 0, "the worker stopped make and its children")
                let build = try #require(try await farm.store.builds.find(id: id))
                #expect(build.status == .cancelled)
                #expect(build.stages.map(\.status) == [.completed, .failed, .skipped, .skipped, .skipped])
            }
        }
    }

    @Test func aCancelledQueuedBuildIsNeverStarted() async throws {
        try await TestFarm.run { farm in
            let (configuration, developer) = try await farm.configuration(.arm64)
            let id = try await farm.submit(configuration, by: developer)
            let response = try await farm.client.execute(
                uri: "/builds/\(id.lowercased)/cancel", method: .post, headers: [.authorization: developer.authorization])
            #expect(response.status == .ok)
            let other = try await farm.submit(configuration, by: developer)
            try await farm.withWorker(try await farm.workerSettings([.arm64], recipe: NoopRecipe())) {
                _ = try await farm.finished(other)
            }
            let build = try #require(try await farm.store.builds.find(id: id))
            #expect(build.status == .cancelled && build.claimedAt == nil)
        }
    }

    @Test func unreadableMessagesGoToTheDeadLetters() async throws {
        try await TestFarm.run { farm in
            let connection = try await AMQPConnection.connect(farm.broker)
            let poison = "not a build \(UUID().lowercased)"
            let bogusEvent = "{\"schema\":\"kfarm.build.events/0\",\"note\":\"\(UUID().lowercased)\"}"
            try await connection.publish([
                AMQPMessage(exchange: BusNames.buildsExchange, routingKey: Architecture.x86_64.rawValue, body: Array(poison.utf8)),
                AMQPMessage(exchange: BusNames.eventsExchange,
                            routingKey: BusNames.workerEventsPrefix(UUID().lowercased) + "build.\(UUID().lowercased).events",
                            body: Array(bogusEvent.utf8)),
            ])
            await connection.close()
            let good = try await farm.submit(.x86_64)
            try await farm.withWorker(try await farm.workerSettings([.x86_64], recipe: NoopRecipe())) {
                let build = try await farm.finished(good)
                #expect(build.status == .completed, "the farm goes on")
            }
            let dead = try await AMQPConsumer(farm.broker, queues: [BusNames.deadQueue], prefetch: 10)
            let watch = Task { try await Task.sleep(for: .seconds(10)); dead.stop() }
            var bodies: Set<String> = []
            for try await batch in dead.batches {
                for delivery in batch {
                    bodies.insert(String(decoding: delivery.body, as: UTF8.self))
                    dead.ack(delivery)
                }
                if bodies.isSuperset(of: [poison, bogusEvent]) { break }
            }
            watch.cancel()
            dead.stop()
            #expect(bodies == [poison, bogusEvent], "each once, not redelivered in a loop")
        }
    }

    @Test func aBuildWhoseWorkerIsKilledCompletesOnAnotherWorkerAsAttempt2() async throws {
        try await TestFarm.run(lease: 3) { farm in
            let slow = try await farm.workerSettings([.x86_64])
            let (configuration, developer) = try await farm.configuration(.x86_64)
            let id = try await farm.submit(configuration, by: developer)
            let killed = try farm.startWorkerProcess(slow, environment: ["KFARM_FIXTURE_DELAY": "30"])
            defer { killed.terminate() }
            // A person follows the log from the start, through the retry.
            let person = try ClientRun(farm: farm, token: developer.token)
            let followed = Task { try await person.run(["logs", id.lowercased, "--follow"], seconds: 150) }
            _ = try await farm.waitFor(id) { $0.currentStage == .compiling_core }
            // Killed while linking, once its output so far has been recorded.
            let deadline = ContinuousClock.now + .seconds(20)
            while try await !farm.log(id, attempt: 1).contains(where: { $0.text == "  LD      vmlinux" }),
                  ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            kill(killed.processIdentifier, SIGKILL)
            try await farm.withWorker(try await farm.workerSettings([.x86_64])) {
                let build = try await farm.finished(id, within: 90)
                #expect(build.status == .completed && build.attempt == 2)
                #expect(build.stages.map(\.status) == Array(repeating: .completed, count: 5))
                let second = try await farm.log(id, attempt: 2)
                #expect(!second.isEmpty && second.map(\.number) == Array(1...second.count), "no line twice, none missing")
                #expect(Set(second.map(\.text)).count > 10)
                #expect(second.filter { $0.text == "  CC      init/main.o" }.count == 1)
                let first = try await farm.log(id, attempt: 1)
                #expect(first.contains { $0.text == "  LD      vmlinux" }, "the lost attempt's log is kept apart")
                // The follower got attempt 1's lines, a marker, then every line of attempt 2, each once.
                let expected = first.map(\.text) + ["--- attempt 2 (the build was retried) ---"] + second.map(\.text)
                let log = try await followed.value
                #expect(log.status == 0 && log.out == expected.map { $0 + "\n" }.joined(), "\(log)")
            }
            // The killed worker's make outlives it; stop it.
            _ = try? await processes(mentioning: slow.workDirectory.path, signal: SIGKILL)
        }
    }

    @Test func twoHundredBuildsCompleteExactlyOnceThroughABrokerRestart() async throws {
        try await TestFarm.run { farm in
            let (configuration, developer) = try await farm.configuration(.riscv64)
            let settings = try await farm.workerSettings([.riscv64], builds: 16, recipe: NoopRecipe())
            try await farm.withWorker(settings) {
                let ids = try await withThrowingTaskGroup(of: [UUID].self) { group in
                    for lane in 0..<4 {
                        group.addTask {
                            var ids: [UUID] = []
                            for _ in 0..<50 {
                                ids.append(try await farm.submit(configuration, by: developer))
                                if lane == 0 && ids.count == 15 { try await restartBroker() }
                            }
                            return ids
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(Set(ids).count == 200)
                let deadline = ContinuousClock.now + .seconds(180)
                while ContinuousClock.now < deadline {
                    let done = try await farm.store.client.query("""
                        SELECT count(*) FROM builds WHERE id = ANY(\(ids)) AND status = 'completed'
                        """).collect().map { try $0.decode(Int.self) }
                    if done == [200] { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                let completions = try await farm.store.client.query("""
                    SELECT count(*) FILTER (WHERE b.status = 'completed'),
                           count(*) FILTER (WHERE (SELECT count(*) FROM audit_events a
                                                   WHERE a.action = 'build.complete' AND a.resource_id = b.id::text) = 1),
                           count(*) FILTER (WHERE (SELECT count(*) FROM build_stages s
                                                   WHERE s.build_id = b.id AND s.status = 'completed') = 5)
                    FROM builds b WHERE b.id = ANY(\(ids))
                    """).collect().map { try $0.decode((Int, Int, Int).self) }
                #expect(completions.first?.0 == 200, "every build completed")
                #expect(completions.first?.1 == 200, "each completed exactly once")
                #expect(completions.first?.2 == 200, "each with its five stages")
            }
        }
    }
}

/// Restarts the test broker (the node `scripts/test.sh` started); its
/// queues are durable and its messages persistent, so nothing is lost.
func restartBroker() async throws {
    let script = TestFarm.root.appendingPathComponent("scripts/rabbitmq.sh").path
    let status = try await CommandRunner.run(Command(script, ["restart"]), onLines: { _ in })
    #expect(status == 0, "scripts/rabbitmq.sh restart")
}

/// How many processes have `text` in their command line (`signal` is sent to them too, if given).
@discardableResult
func processes(mentioning text: String, signal: Int32? = nil) async throws -> Int {
    let output = LineCollector()
    _ = try await CommandRunner.run(Command("pgrep", ["-f", text]), onLines: output.append)
    let pids = output.lines.compactMap { Int32($0) }
    if let signal { for pid in pids { kill(pid, signal) } }
    return pids.count
}

extension FarmTests {
    @Test func aWorkerStoppedWithSIGTERMHandsItsBuildBackAtOnce() async throws {
        try await TestFarm.run { farm in
            let settings = try await farm.workerSettings([.x86_64])
            let id = try await farm.submit(.x86_64)
            let worker = try farm.startWorkerProcess(settings, environment: ["KFARM_FIXTURE_DELAY": "30"])
            defer { worker.terminate() }
            _ = try await farm.waitFor(id) { $0.currentStage == .compiling_core }
            kill(worker.processIdentifier, SIGTERM)
            // Long before the 60 s lease could run out: the worker reported it.
            let handedBack = try await farm.waitFor(id, within: 15) { $0.attempt == 2 }
            #expect(handedBack.status == .queued && handedBack.attempt == 2)
            _ = try? await processes(mentioning: settings.workDirectory.path, signal: SIGKILL)
        }
    }
}
