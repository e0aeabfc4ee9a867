import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Who did a change: a user, or the `kfarm admin` command line (nil).
public typealias Actor = UUID?

/// Writes an audit event on the connection of the change's own transaction,
/// so a change and its record commit or roll back together.
enum Audit {
    static func record(
        _ action: String, _ resourceType: String, _ resourceID: UUID, project: UUID? = nil, by actor: Actor,
        details: [String: String] = [:], on connection: PostgresConnection, logger: Logger
    ) async throws {
        let encoded = String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
        try await connection.query("""
            INSERT INTO audit_events (actor_id, action, resource_type, resource_id, project_id, details)
            VALUES (\(actor), \(action), \(resourceType), \(resourceID.lowercased), \(project), \(encoded)::jsonb)
            """, logger: logger)
    }
}
