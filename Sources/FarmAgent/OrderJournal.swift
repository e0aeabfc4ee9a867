import FarmMachine
import FarmModel
import Foundation

/// What the agent has done about one order, kept on disk so a restarted
/// agent (killed mid-install, or handed the same order again) carries on
/// from where it was instead of installing twice.
struct OrderRecord: Codable, Sendable {
    var deploymentId: UUID
    var action: DeploymentOrder.Action
    /// The slot being installed into (install) or returned to (rollback).
    var slot: KernelSlot?
    /// The slot `current` pointed at before the order.
    var previous: KernelSlot?
    var switches: [AgentReport.Switch] = []
    /// The final report, once the order is done: sent again on redelivery.
    var report: AgentReport?
}

/// One file per order under `<root>/orders`, each written aside and renamed into place.
struct OrderJournal: Sendable {
    let directory: URL

    private func file(_ deploymentID: UUID, _ action: DeploymentOrder.Action) -> URL {
        directory.appendingPathComponent("\(deploymentID.lowercased).\(action.rawValue).json")
    }

    func read(_ deploymentID: UUID, _ action: DeploymentOrder.Action) -> OrderRecord? {
        guard let data = try? Data(contentsOf: file(deploymentID, action)) else { return nil }
        return try? JSONDecoder.iso8601.decode(OrderRecord.self, from: data)
    }

    func write(_ record: OrderRecord) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(record).write(to: file(record.deploymentId, record.action), options: .atomic)
    }
}
