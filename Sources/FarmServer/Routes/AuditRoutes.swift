import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// The audit log, for farm admins: who created, changed, locked, revoked
/// what and when. Filters: actor, action, resource_type, resource_id,
/// project_id, since, until (ISO 8601), page, limit.
struct AuditRoutes {
    let store: Store

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/audit", .farmAdmin) { request, context in
                let filter = AuditRepository.Filter(
                    actorID: try request.query("actor", expected: "a UUID", UUID.init(uuidString:)),
                    action: try request.query("action", expected: "an action such as configuration.create", Self.word),
                    resourceType: try request.query("resource_type", expected: "a resource type such as configuration", Self.word),
                    resourceID: try request.query("resource_id", expected: "a resource id", Self.word),
                    projectID: try request.query("project_id", expected: "a UUID", UUID.init(uuidString:)),
                    since: try request.query("since", expected: Timestamp.expected, Timestamp.parse),
                    until: try request.query("until", expected: Timestamp.expected, Timestamp.parse))
                let page = try await store.audit.list(filter, page: try request.pageRequest())
                return try Response.success(Listing(key: "events", page: page))
            },
        ]
    }

    /// Actions, types and ids are short words of letters, digits, '.', '_' and '-'.
    private static func word(_ text: String) -> String? {
        let valid = (1...128).contains(text.count)
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
        return valid ? text : nil
    }
}
