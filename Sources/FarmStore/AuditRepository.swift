import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Reads the audit log, newest first.
public struct AuditRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public struct Filter: Sendable {
        public var actorID: UUID?
        public var action: String?
        public var resourceType: String?
        public var resourceID: String?
        public var projectID: UUID?
        public var since: Date?
        public var until: Date?

        public init(
            actorID: UUID? = nil, action: String? = nil, resourceType: String? = nil, resourceID: String? = nil,
            projectID: UUID? = nil, since: Date? = nil, until: Date? = nil
        ) {
            self.actorID = actorID
            self.action = action
            self.resourceType = resourceType
            self.resourceID = resourceID
            self.projectID = projectID
            self.since = since
            self.until = until
        }
    }

    /// One statement states the filter once and returns the total with the
    /// page: the anchor row carries the count even when the page is empty.
    public func list(_ filter: Filter, page: PageRequest) async throws -> Page<AuditEvent> {
        var total = 0
        var items: [AuditEvent] = []
        let rows = try await client.query(.page(of: """
            SELECT * FROM audit_view e
            WHERE (\(filter.actorID)::uuid IS NULL OR e.actor_id = \(filter.actorID))
              AND (\(filter.action)::text IS NULL OR e.action = \(filter.action))
              AND (\(filter.resourceType)::text IS NULL OR e.resource_type = \(filter.resourceType))
              AND (\(filter.resourceID)::text IS NULL OR e.resource_id = \(filter.resourceID))
              AND (\(filter.projectID)::uuid IS NULL OR e.project_id = \(filter.projectID))
              AND (\(filter.since)::timestamptz IS NULL OR e.at >= \(filter.since))
              AND (\(filter.until)::timestamptz IS NULL OR e.at < \(filter.until))
            """, columns: "p.*", orderedBy: "at DESC, id DESC", page), logger: logger)
        for try await row in rows {
            let (count, id, at, actorID, actorName, action, resourceType, resourceID, projectID, details) =
                try row.decode((Int, Int64?, Date?, UUID?, String?, String?, String?, String?, UUID?, String?).self)
            total = count
            guard let id, let at, let action, let resourceType, let resourceID, let details else { continue }
            let actor = actorID.flatMap { id in actorName.map { UserRef(id: id, username: $0) } }
            items.append(AuditEvent(
                id: id, at: at, actor: actor, action: action, resourceType: resourceType, resourceId: resourceID,
                projectId: projectID?.lowercased,
                details: try JSONDecoder().decode([String: String].self, from: Data(details.utf8))))
        }
        return Page(items: items, pagination: Pagination(total: total, request: page))
    }
}
