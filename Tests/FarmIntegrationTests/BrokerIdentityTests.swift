import AMQP
import FarmBus
import FarmModel
import FarmStore
import FarmTestSupport
import FarmWorker
import Foundation
import Testing

/// Machines on the broker as themselves: RabbitMQ with the HTTP auth
/// backend asks the test farm who a login is and what it may touch.
extension FarmTests {
    @Test func aWorkerReachesOnlyItsOwnQueuesOnTheBroker() async throws {
        try await TestFarm.run { farm in
            let (x86, x86Login) = try await machineWorker(farm, .x86_64)
            let (arm, armLogin) = try await machineWorker(farm, .arm64)
            let farmAccount = try await AMQPConnection.connect(farm.broker)
            defer { Task { await farmAccount.close() } }
            let (system, _) = try await systemWithAgent(farm)
            try await BusTopology.declareDeployQueue(forSystem: system.id.lowercased, on: farmAccount)

            // Its own: the build queue of its architecture, its control queue (which it declares and binds).
            try await consume(x86Login, BusNames.buildQueue(.x86_64))
            let own = try await AMQPConnection.connect(x86Login)
            try await BusTopology.declareControlQueue(forWorker: x86.id.lowercased, on: own)
            await own.close()
            try await consume(x86Login, BusNames.workerControlQueue(x86.id.lowercased))
            let other = try await AMQPConnection.connect(armLogin)
            try await BusTopology.declareControlQueue(forWorker: arm.id.lowercased, on: other)
            await other.close()

            // Anything else the broker refuses.
            await #expect(throws: AMQPError.self, "another architecture's builds") {
                try await consume(x86Login, BusNames.buildQueue(.arm64))
            }
            await #expect(throws: AMQPError.self, "another worker's control queue") {
                try await consume(x86Login, BusNames.workerControlQueue(arm.id.lowercased))
            }
            await #expect(throws: AMQPError.self, "a system's deployment orders") {
                try await consume(x86Login, BusNames.systemDeployQueue(system.id.lowercased))
            }
            await #expect(throws: AMQPError.self, "the recorder's queue") { try await consume(x86Login, BusNames.recorderQueue) }
            for attempt in Self.refusedChanges {
                let connection = try await AMQPConnection.connect(x86Login)
                await #expect(throws: AMQPError.self, "\(attempt.what)") { try await attempt.change(connection, x86.id.lowercased) }
                await connection.close()
            }
            var wrongPassword = x86Login
            wrongPassword.password = armLogin.password
            await #expect(throws: AMQPError.self, "another worker's token") { try await AMQPConnection.connect(wrongPassword) }
        }
    }

    /// What a worker may not change on the broker, each tried on a fresh connection (a refusal closes the channel).
    private static let refusedChanges: [(what: String, change: @Sendable (AMQPConnection, String) async throws -> Void)] = [
        ("declare a queue of its own choosing", { connection, _ in try await connection.declareQueue("kfarm.evil") }),
        ("bind its control queue to the build dispatches", { connection, worker in
            try await connection.bindQueue(BusNames.workerControlQueue(worker), to: BusNames.buildsExchange, routingKey: "arm64")
        }),
        ("bind its control queue to the deployment orders", { connection, worker in
            try await connection.bindQueue(BusNames.workerControlQueue(worker), to: BusNames.deployExchange, routingKey: "#")
        }),
        ("delete the arm64 build queue", { connection, _ in _ = try await connection.deleteQueue(BusNames.buildQueue(.arm64)) }),
        ("publish a dispatch", { connection, _ in
            try await connection.publish(AMQPMessage(exchange: BusNames.buildsExchange, routingKey: "x86_64", body: Array("{}".utf8)))
        }),
        ("publish events under another worker's routing key", { connection, _ in
            try await connection.publish(AMQPMessage(exchange: BusNames.eventsExchange,
                                                     routingKey: "worker.\(UUID().lowercased).build.\(UUID().lowercased).events",
                                                     body: Array("{}".utf8)))
        }),
    ]

    @Test func anAgentReadsOnlyItsOwnSystemsOrdersAndPublishesNothing() async throws {
        try await TestFarm.run { farm in
            let (mine, token) = try await systemWithAgent(farm)
            let (theirs, _) = try await systemWithAgent(farm)
            let login = farm.broker.login(user: mine.id.lowercased, password: token)
            // The farm declares a new system's order queue (the agent may not): both are there within moments.
            let deadline = ContinuousClock.now + .seconds(10)
            while try await !farm.store.systems.awaitingOrderQueue().isEmpty {
                guard ContinuousClock.now < deadline else {
                    Issue.record("the relay did not declare the new systems' order queues")
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await consume(login, BusNames.systemDeployQueue(mine.id.lowercased))
            await #expect(throws: AMQPError.self) { try await consume(login, BusNames.systemDeployQueue(theirs.id.lowercased)) }
            await #expect(throws: AMQPError.self) { try await consume(login, BusNames.buildQueue(.arm64)) }
            let connection = try await AMQPConnection.connect(login)
            await #expect(throws: AMQPError.self) {
                try await connection.publish(AMQPMessage(exchange: BusNames.eventsExchange, routingKey: "worker.x.build.y.events",
                                                         body: Array("{}".utf8)))
            }
            await connection.close()
            var asTheirs = login
            asTheirs.user = theirs.id.lowercased
            await #expect(throws: AMQPError.self, "a system its token is not bound to") {
                try await AMQPConnection.connect(asTheirs)
            }
        }
    }

    @Test func aRevokedWorkerTokenCannotLogInAgain() async throws {
        try await TestFarm.run { farm in
            let admin = try await farm.fixtures.account(.admin)
            let (token, secret) = try await farm.store.users.createToken(for: admin.user.id, name: "w", kind: .worker,
                                                                         expiresAt: nil, by: nil)
            let worker = try await farm.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096), token: token.id)
            let login = farm.broker.login(user: worker.id.lowercased, password: secret.value)
            let live = try await AMQPConsumer(login, queues: [BusNames.buildQueue(.x86_64)], prefetch: 1)
            defer { live.stop() }
            _ = try await farm.store.users.revokeToken(token.id, of: admin.user.id, by: nil)
            // Its open connection is closed by the farm through the broker's management API (whose connection
            // list is refreshed every 5 s) ...
            let started = ContinuousClock.now
            let closed = Task {
                do { for try await _ in live.batches {} } catch { return true }
                return true
            }
            let watch = Task { try await Task.sleep(for: .seconds(20)); live.stop() }
            _ = await closed.value
            watch.cancel()
            #expect(started.duration(to: .now) < .seconds(12), "the revoked worker's connection was not closed")
            // ... and it cannot log in again (the broker keeps the farm's answers for a second here).
            try await Task.sleep(for: .seconds(1))
            await #expect(throws: AMQPError.self) { try await AMQPConnection.connect(login) }
        }
    }

    /// A worker's events are trusted by who sent them: one naming another
    /// worker goes to the dead letters, one for a build it does not hold changes nothing.
    @Test func aWorkerCannotWriteAnotherWorkersBuild() async throws {
        try await TestFarm.run { farm in
            let (configuration, developer) = try await farm.configuration(.x86_64)
            let id = try await farm.submit(configuration, by: developer)
            let (holder, _) = try await machineWorker(farm, .x86_64)
            let (intruder, intruderLogin) = try await machineWorker(farm, .x86_64)
            let holderToken = try #require(try await farm.store.client.query(
                "SELECT token_id FROM workers WHERE id = \(holder.id)").collect().first).decode(UUID.self)
            _ = try await farm.store.workers.claim(id, BuildClaim(workerId: holder.id, attempt: 1), token: holderToken, lease: 60)

            let connection = try await AMQPConnection.connect(intruderLogin)
            let failure = BuildOutcome.failed(.build, "forged")
            let forged = BuildEventBatch(buildId: id, attempt: 1, workerId: holder.id,
                                         events: [.log(first: 1, lines: ["forged line"]), .result(failure)])
            // Its own routing key, but the holder's name inside: the broker passes it, the recorder does not.
            var message = try AMQPMessage(forged)
            message.routingKey = BusNames.workerEventsPrefix(intruder.id.lowercased) + "build.\(id.lowercased).events"
            try await connection.publish(message)
            // In its own name, for a build it does not hold.
            try await connection.publish(try AMQPMessage(BuildEventBatch(buildId: id, attempt: 1, workerId: intruder.id,
                                                                         events: [.log(first: 1, lines: ["intruding line"]),
                                                                                  .result(failure)])))
            await connection.close()

            let dead = try await AMQPConsumer(farm.broker, queues: [BusNames.deadQueue], prefetch: 10)
            let watch = Task { try await Task.sleep(for: .seconds(20)); dead.stop() }
            var deadLettered: [AMQPDelivery] = []
            for try await deliveries in dead.batches {
                deadLettered += deliveries
                if deadLettered.contains(where: { $0.body == message.body }) { break }
            }
            watch.cancel()
            dead.stop()
            #expect(deadLettered.contains { $0.body == message.body && $0.userID == intruder.id.lowercased })
            // Give the recorder time for the second batch, then nothing has changed.
            try await Task.sleep(for: .seconds(1))
            let build = try #require(try await farm.store.builds.find(id: id))
            #expect(build.status == .in_progress && build.failure == nil)
            #expect(try await farm.log(id).isEmpty)
        }
    }

    /// A worker may read its architecture's queue, so it can throw dispatches away (reject, purge):
    /// the farm dispatches a build again while it stays queued, and it is built all the same.
    @Test func aDispatchAWorkerThrowsAwayIsSentAgain() async throws {
        try await TestFarm.run(redispatchAfter: 2) { farm in
            let (_, rogueLogin) = try await machineWorker(farm, .x86_64)
            let id = try await farm.submit(.x86_64)
            let rogue = try await AMQPConsumer(rogueLogin, queues: [BusNames.buildQueue(.x86_64)], prefetch: 1)
            var thrownAway: AMQPDelivery?
            for try await deliveries in rogue.batches {
                thrownAway = deliveries.first
                if let delivery = deliveries.first { rogue.nack(delivery, requeue: false) }
                break
            }
            rogue.stop()
            #expect(try #require(thrownAway).body.count > 0)
            try await farm.withWorker(try await farm.workerSettings([.x86_64], recipe: NoopRecipe())) {
                let build = try await farm.finished(id, within: 60)
                #expect(build.status == .completed && build.attempt == 1)
            }
        }
    }

    // MARK: - Machines

    /// A registered worker of `architecture` and its broker login (its id, its token).
    private func machineWorker(_ farm: TestFarm, _ architecture: Architecture) async throws -> (Worker, AMQPConfiguration) {
        let (worker, secret) = try await farm.fixtures.worker([Toolchain(architecture: architecture, compiler: "gcc-12.2.0")])
        return (worker, farm.broker.login(user: worker.id.lowercased, password: secret))
    }

    /// A target system whose agent has checked in with a system token (which binds the token to it), and that token.
    private func systemWithAgent(_ farm: TestFarm) async throws -> (TargetSystem, String) {
        let manager = try await farm.fixtures.account(.admin)
        let project = try await farm.fixtures.project(members: [(manager, .admin)])
        let system = try await farm.store.systems.create(
            NewTargetSystem(name: Fixtures.unique("sys"), architecture: .arm64, projectId: project.id), by: manager.user.id)
        let token = try await farm.fixtures.token(of: manager, kind: .system)
        let (status, _) = try await farm.call(.post, "/systems/\(system.id.lowercased)/heartbeat", as: token,
                                              json: ["activeSlot": NSNull()])
        #expect(status == .ok)
        return (system, token.token)
    }

    /// Starts consuming `queue` as `login` (and stops): throws when the broker refuses.
    private func consume(_ login: AMQPConfiguration, _ queue: String) async throws {
        let consumer = try await AMQPConsumer(login, queues: [queue], prefetch: 1)
        consumer.stop()
    }
}
