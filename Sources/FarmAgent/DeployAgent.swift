import AMQP
import FarmBus
import FarmModel
import FarmWorker
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

    private var systemPath: String { "/systems/\(settings.systemID.lowercased)" }
    private var downloads: URL { settings.root.appendingPathComponent("downloads") }

    /// Checks in with the API (a system or token it refuses stops the agent
    /// here), then works until cancelled.
    public func run() async throws {
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let verifier = ArtifactVerifier(trustedKey: try await trustedKey())
        // The queue first: once the API sees the system online, orders sent to it wait for the agent.
        let connection = try await AMQPConnection.connect(settings.broker)
        try await BusTopology.declareDeployQueue(forSystem: settings.systemID.lowercased, on: connection)
        await connection.close()
        do {
            try await heartbeat()
        } catch WorkerError.api(let status, let message) where (400..<500).contains(status) {
            throw AgentError.configuration("the API refused this agent: \(message)")
        }
        logger.info("agent ready", metadata: ["root": "\(settings.root.path)", "activeSlot": "\(layout.active()?.rawValue ?? "none")"])
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: settings.heartbeatInterval)) != nil {
                    do { try await heartbeat() } catch { logger.warning("heartbeat failed", metadata: ["error": "\(error)"]) }
                }
            }
            await BrokerSession.run(settings.broker, logger: logger) { connection in
                try await BusTopology.declareDeployQueue(forSystem: settings.systemID.lowercased, on: connection)
                let consumer = try await AMQPConsumer(
                    settings.broker, queues: [BusNames.systemDeployQueue(settings.systemID.lowercased)], prefetch: 1)
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
        guard let order = try? JSONDecoder.iso8601.decode(DeploymentOrder.self, from: Data(delivery.body)),
              order.schema == DeploymentOrder.schema, order.systemId == settings.systemID else {
            logger.error("unreadable order sent to the dead letters")
            consumer.nack(delivery, requeue: false)
            return
        }
        var logger = logger
        logger[metadataKey: "deployment"] = "\(order.deploymentId.lowercased)"
        do {
            let report = try await carryOut(order, verifier: verifier, logger: logger)
            logger.info("order done", metadata: ["action": "\(order.action.rawValue)", "phase": "\(report.phase.rawValue)"])
            consumer.ack(delivery)
        } catch WorkerError.api(let status, let message) where status == 409 || status == 404 {
            logger.info("order dropped: it no longer stands", metadata: ["why": "\(message)"])
            consumer.ack(delivery)
        } catch WorkerError.api(let status, let message) where (400..<500).contains(status) && status != 429 {
            // Asking again would get the same answer.
            logger.error("order refused by the API; sent to the dead letters", metadata: ["why": "\(message)"])
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
        } catch WorkerError.api(let status, _) where status == 409 {
            try restoreUnreported(order)
            throw WorkerError.api(status: status, "the \(order.action.rawValue) order no longer stands")
        }
        let report = switch order.action {
        case .install: await install(order, verifier: verifier, logger: logger)
        case .rollback: rollback(order)
        }
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

    /// An install the API no longer wants (its target failed while this
    /// agent was away) that had switched: back to the previous slot.
    private func restoreUnreported(_ order: DeploymentOrder) throws {
        guard order.action == .install, var record = journal.read(order.deploymentId, .install), record.report == nil,
              layout.active() == record.slot, record.slot != record.previous else { return }
        try layout.switchTo(record.previous)
        record.switches.append(AgentReport.Switch(action: .rollback, slot: record.previous, at: Date()))
        record.report = AgentReport(action: .install, phase: .failed, switches: record.switches,
                                    message: "the order was withdrawn; switched back")
        try journal.write(record)
    }

    private func install(_ order: DeploymentOrder, verifier: ArtifactVerifier, logger: Logger) async -> AgentReport {
        let active = layout.active()
        var record = journal.read(order.deploymentId, .install)
            ?? OrderRecord(deploymentId: order.deploymentId, action: .install, slot: active?.other ?? .a, previous: active)
        let slot = record.slot ?? .a
        do {
            try journal.write(record)
            if layout.active() != slot {
                let file = downloads.appendingPathComponent("\(order.sha256).tar.zst")
                // A download that survived a restart is used again once it checks out.
                if (try? verifier.verify(file, for: order)) == nil {
                    logger.info("downloading", metadata: ["artifact": "\(order.artifact.name)", "bytes": "\(order.size)"])
                    _ = try await client.download("\(systemPath)/deployments/\(order.deploymentId.lowercased)/artifact", to: file)
                    _ = try verifier.verify(file, for: order)
                }
                try await layout.replace(slot) { directory in try await unpack(file, into: directory) }
                try layout.switchTo(slot)
            }
            // Also when the agent stopped between the switch and writing it down.
            if !record.switches.contains(where: { $0.action == .install }) {
                record.switches.append(AgentReport.Switch(action: .install, slot: slot, at: Date()))
                try journal.write(record)
            }
            logger.info("switched", metadata: ["slot": "\(slot.rawValue)", "previous": "\(record.previous?.rawValue ?? "none")"])
            guard order.forceReboot else {
                return AgentReport(action: .install, phase: .succeeded, switches: record.switches,
                                   message: "installed in slot \(slot.rawValue); active at the next boot")
            }
            let provenance = try verifier.provenance(of: order)
            let (healthy, tail) = try await settings.health.run(slot: slot, in: layout, order: order, provenance: provenance)
            guard healthy else {
                return try switchBack(&record, because: "the health check failed after switching to slot \(slot.rawValue)",
                                      tail: tail)
            }
            return AgentReport(action: .install, phase: .succeeded, switches: record.switches)
        } catch {
            if layout.active() == slot, record.previous != slot,
               let report = try? switchBack(&record, because: "\(error)", tail: []) {
                return report
            }
            return AgentReport(action: .install, phase: .failed, switches: record.switches, message: String("\(error)".prefix(2000)))
        }
    }

    /// Returns to the slot active before the install; the report says why, with the output's last lines.
    private func switchBack(_ record: inout OrderRecord, because reason: String, tail: [String]) throws -> AgentReport {
        try layout.switchTo(record.previous)
        record.switches.append(AgentReport.Switch(action: .rollback, slot: record.previous, at: Date()))
        try journal.write(record)
        let message = "\(reason); switched back to \(record.previous.map { "slot \($0.rawValue)" } ?? "the system's own kernel")"
            + (tail.isEmpty ? "" : "\n" + tail.joined(separator: "\n"))
        return AgentReport(action: .install, phase: .failed, switches: record.switches,
                           message: String(message.suffix(AgentReport.messageLimit / 2)))
    }

    /// Back to the slot active before this deployment's install.
    private func rollback(_ order: DeploymentOrder) -> AgentReport {
        guard let installed = journal.read(order.deploymentId, .install) else {
            return AgentReport(action: .rollback, phase: .failed, message: "this agent has no record of installing the deployment")
        }
        var record = journal.read(order.deploymentId, .rollback)
            ?? OrderRecord(deploymentId: order.deploymentId, action: .rollback, slot: installed.previous, previous: layout.active())
        do {
            try journal.write(record)
            if layout.active() != record.slot { try layout.switchTo(record.slot) }
            if record.switches.isEmpty {
                record.switches.append(AgentReport.Switch(action: .rollback, slot: record.slot, at: Date()))
                try journal.write(record)
            }
            return AgentReport(action: .rollback, phase: .succeeded, switches: record.switches,
                               message: "back on \(record.slot.map { "slot \($0.rawValue)" } ?? "the system's own kernel")")
        } catch {
            return AgentReport(action: .rollback, phase: .failed, switches: record.switches, message: "\(error)")
        }
    }

    /// Unpacks the tarball and checks every file against its metadata.json.
    private func unpack(_ file: URL, into directory: URL) async throws {
        let output = OutputTail(limit: 10)
        let status = try await CommandRunner.run(Command("tar", ["--zstd", "-xf", file.path, "-C", directory.path])) {
            output.add($0)
        }
        guard status == 0 else { throw AgentError.install("tar exited with \(status): \(output.lines.joined(separator: " "))") }
        let metadata = try JSONDecoder.iso8601.decode(
            ArtifactMetadata.self, from: Data(contentsOf: directory.appendingPathComponent("metadata.json")))
        for entry in metadata.files {
            guard try KernelPackage.sha256(of: directory.appendingPathComponent(entry.path)) == entry.sha256 else {
                throw AgentError.install("\(entry.path) does not match its sha256 in metadata.json")
            }
        }
    }

    /// The farm key artifacts must be signed with: the configured file, or
    /// the pinned one, or (first start) the API's, pinned from then on.
    private func trustedKey() async throws -> Data {
        let pinned = settings.root.appendingPathComponent("farm-signing-key")
        if let file = settings.signingKey ?? (FileManager.default.fileExists(atPath: pinned.path) ? pinned : nil) {
            guard let key = SigningKeyText.rawKey(try String(contentsOf: file, encoding: .utf8)) else {
                throw AgentError.configuration("\(file.path) holds no Ed25519 public key (base64 of 32 bytes, or PEM)")
            }
            return key
        }
        let key: SigningKey = try await client.get("/signing-key")
        guard let raw = Data(base64Encoded: key.publicKey) else { throw AgentError.configuration("GET /signing-key: no key") }
        try (key.publicKey + "\n").write(to: pinned, atomically: true, encoding: .utf8)
        logger.info("pinned the farm's signing key", metadata: ["keyId": "\(key.keyId)"])
        return raw
    }
}
