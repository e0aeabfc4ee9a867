import AMQP
import FarmBus
import FarmMachine
import FarmModel
import Foundation
import Logging

/// A target system's deployment agent: heartbeats, takes orders from the
/// system's own `kfarm.deploy` queue one at a time, and carries each out
/// — download, verify, unpack into the inactive slot, switch, reboot and
/// check when asked, switch back on failure — reporting to the API. An
/// order is acknowledged only once its report is in, and every step is in
/// the order journal first, so a redelivered order (the agent was killed,
/// the API was away) resumes or repeats its report, never installing twice.
public struct DeployAgent: Sendable {
    public let settings: AgentSettings
    let logger: Logger
    let client: FarmClient
    let layout: SlotLayout
    let journal: OrderJournal

    public init(settings: AgentSettings, logger: Logger) {
        self.settings = settings
        var logger = logger
        logger[metadataKey: "system"] = "\(settings.systemID.lowercased)"
        self.logger = logger
        client = FarmClient(baseURL: settings.apiURL, token: settings.token)
        layout = SlotLayout(root: settings.root)
        journal = OrderJournal(directory: settings.root.appendingPathComponent("orders"))
    }

    var systemPath: String { "/systems/\(settings.systemID.lowercased)" }
    var downloads: URL { settings.root.appendingPathComponent("downloads") }

    /// Checks in with the API (a system or token it refuses stops the agent
    /// here), then works until cancelled.
    public func run() async throws {
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let verifier = ArtifactVerifier(trustedKey: try await trustedKey())
        do {
            try await heartbeat()
        } catch let error as FarmClientError where (400..<500).contains(error.status) {
            throw AgentError.configuration("the API refused this agent: \(error.message)")
        }
        logger.info("agent ready", metadata: ["root": "\(settings.root.path)", "activeSlot": "\(layout.active()?.rawValue ?? "none")"])
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: settings.heartbeatInterval)) != nil {
                    do { try await heartbeat() } catch { logger.warning("heartbeat failed", metadata: ["error": "\(error)"]) }
                }
            }
            // On the broker the agent is its system (its id, its token) and may only read its order
            // queue, which the farm declares once the system exists (until then this retries).
            let broker = settings.broker.login(user: settings.systemID.lowercased, password: settings.token)
            await BrokerSession.run(broker, declaresTopology: false, logger: logger) { _ in
                let consumer = try await AMQPConsumer(
                    broker, queues: [BusNames.systemDeployQueue(settings.systemID.lowercased)], prefetch: 1)
                defer { consumer.stop() }
                for try await deliveries in consumer.batches {
                    for delivery in deliveries { await handle(delivery, from: consumer, verifier: verifier) }
                }
            }
            group.cancelAll()
        }
    }

    private func heartbeat() async throws {
        let _: TargetSystem = try await client.send(.POST, "\(systemPath)/heartbeat", AgentHeartbeat(activeSlot: layout.active()))
    }

    private func handle(_ delivery: AMQPDelivery, from consumer: AMQPConsumer, verifier: ArtifactVerifier) async {
        guard let order = consumer.take(delivery, as: DeploymentOrder.self, logger: logger,
                                        meant: { $0.systemId == settings.systemID }) else { return }
        var logger = logger
        logger[metadataKey: "deployment"] = "\(order.deploymentId.lowercased)"
        do {
            let report = try await carryOut(order, verifier: verifier, logger: logger)
            logger.info("order done", metadata: ["action": "\(order.action.rawValue)", "phase": "\(report.phase.rawValue)"])
            consumer.ack(delivery)
        } catch let error as FarmClientError where error.status == 409 || error.status == 404 {
            logger.info("order dropped: it no longer stands", metadata: ["why": "\(error.message)"])
            consumer.ack(delivery)
        } catch let error as FarmClientError where (400..<500).contains(error.status) && error.status != 429 {
            // Asking again would get the same answer.
            logger.error("order refused by the API; sent to the dead letters", metadata: ["why": "\(error.message)"])
            consumer.nack(delivery, requeue: false)
        } catch {
            logger.warning("order interrupted; it comes again", metadata: ["error": "\(error)"])
            consumer.nack(delivery, requeue: true)
            try? await Task.sleep(for: .seconds(2))
        }
    }

    /// The order carried out (or its earlier outcome, for a redelivered one) and reported.
    func carryOut(_ order: DeploymentOrder, verifier: ArtifactVerifier, logger: Logger) async throws -> AgentReport {
        if let done = journal.read(order.deploymentId, order.action)?.report {
            return try await send(done, for: order)
        }
        do {
            _ = try await send(AgentReport(action: order.action, phase: .started), for: order)
        } catch let error as FarmClientError where error.status == 409 {
            try restoreUnreported(order)
            throw FarmClientError(status: error.status, "the \(order.action.rawValue) order no longer stands")
        }
        let report = switch order.action {
        case .install: try await install(order, verifier: verifier, logger: logger)
        case .rollback: rollback(order)
        }
        try Task.checkCancellation()
        AgentMetrics.carriedOut(order.action, report.phase)
        var record = journal.read(order.deploymentId, order.action)
            ?? OrderRecord(deploymentId: order.deploymentId, action: order.action)
        record.report = report
        try journal.write(record)
        // Unpacked or given up: the tarball is not needed again.
        try? FileManager.default.removeItem(at: downloads.appendingPathComponent("\(order.sha256).tar.zst"))
        return try await send(report, for: order)
    }

    private func send(_ report: AgentReport, for order: DeploymentOrder) async throws -> AgentReport {
        let _: DeploymentRecord.Target = try await client.send(
            .POST, "\(systemPath)/deployments/\(order.deploymentId.lowercased)/report", report)
        return report
    }

    /// The farm key artifacts must be signed with: the configured file, or
    /// the pinned one, or (first start) the API's, pinned from then on.
    private func trustedKey() async throws -> Data {
        let pinned = settings.root.appendingPathComponent("farm-signing-key")
        if let file = settings.signingKey ?? (FileManager.default.fileExists(atPath: pinned.path) ? pinned : nil) {
            return try SigningKeyText.read(file)
        }
        let (key, raw) = try await client.signingKey()
        try (key.publicKey + "\n").write(to: pinned, atomically: true, encoding: .utf8)
        logger.info("pinned the farm's signing key", metadata: ["keyId": "\(key.keyId)"])
        return raw
    }
}
