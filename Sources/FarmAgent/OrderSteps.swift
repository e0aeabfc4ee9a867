import FarmMachine
import FarmModel
import Foundation
import Logging

/// What the agent does for each kind of order: install into the inactive
/// slot and check the new kernel, or return to the slot active before.
/// Every step is written to the journal first, so a restart resumes.
extension DeployAgent {
    /// An install the API no longer wants (its target failed while this
    /// agent was away) that had switched: back to the previous slot.
    func restoreUnreported(_ order: DeploymentOrder) throws {
        guard order.action == .install, var record = journal.read(order.deploymentId, .install), record.report == nil,
              layout.active() == record.slot, record.slot != record.previous else { return }
        try layout.switchTo(record.previous)
        record.switches.append(AgentReport.Switch(action: .rollback, slot: record.previous, at: Date()))
        record.report = AgentReport(action: .install, phase: .failed, switches: record.switches,
                                    message: "the order was withdrawn; switched back")
        try journal.write(record)
    }

    /// The install's report; throws only when cancelled (the agent is
    /// stopping), leaving the journal as it is for the order's redelivery.
    func install(_ order: DeploymentOrder, verifier: ArtifactVerifier, logger: Logger) async throws -> AgentReport {
        let active = layout.active()
        var record = journal.read(order.deploymentId, .install)
            ?? OrderRecord(deploymentId: order.deploymentId, action: .install, slot: active?.other ?? .a, previous: active)
        let slot = record.slot ?? .a
        do {
            try journal.write(record)
            if layout.active() != slot {
                let file = downloads.appendingPathComponent("\(order.sha256).tar.zst")
                // A download that survived a restart is used again once it checks out.
                if (try? verifier.verify(file, for: ArtifactClaim(order))) == nil {
                    logger.info("downloading", metadata: ["artifact": "\(order.artifact.name)", "bytes": "\(order.size)"])
                    _ = try await client.download("\(systemPath)/deployments/\(order.deploymentId.lowercased)/artifact", to: file)
                    _ = try verifier.verify(file, for: ArtifactClaim(order))
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
            let provenance = try verifier.provenance(of: ArtifactClaim(order))
            let (healthy, tail) = try await settings.health.run(slot: slot, in: layout, order: order, provenance: provenance)
            // A check cut short by the agent stopping says nothing about the kernel.
            try Task.checkCancellation()
            AgentMetrics.healthCheck(passed: healthy)
            guard healthy else {
                return try switchBack(&record, because: "the health check failed after switching to slot \(slot.rawValue)",
                                      tail: tail)
            }
            return AgentReport(action: .install, phase: .succeeded, switches: record.switches)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try Task.checkCancellation()
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
        let message = "\(reason); switched back to \(Self.describe(record.previous))"
            + (tail.isEmpty ? "" : "\n" + tail.joined(separator: "\n"))
        return AgentReport(action: .install, phase: .failed, switches: record.switches,
                           message: String(message.suffix(AgentReport.messageLimit / 2)))
    }

    /// Back to the slot active before this deployment's install.
    func rollback(_ order: DeploymentOrder) -> AgentReport {
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
                               message: "back on \(Self.describe(record.slot))")
        } catch {
            return AgentReport(action: .rollback, phase: .failed, switches: record.switches, message: "\(error)")
        }
    }

    /// A slot as reports name it; no slot is the kernel the system had before the farm installed one.
    private static func describe(_ slot: KernelSlot?) -> String {
        slot.map { "slot \($0.rawValue)" } ?? "the system's own kernel"
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
            guard try FileHash.sha256(of: directory.appendingPathComponent(entry.path)) == entry.sha256 else {
                throw AgentError.install("\(entry.path) does not match its sha256 in metadata.json")
            }
        }
    }
}
