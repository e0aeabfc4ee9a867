import Foundation

/// One recorded change: who (`actor` is null for the `kfarm admin` command
/// line), what, to which resource, when.
public struct AuditEvent: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    @ExplicitNull public var actor: UserRef?
    public var action: String
    public var resourceType: String
    public var resourceId: String
    @ExplicitNull public var projectId: String?
    public var details: [String: String]

    public init(
        id: Int64, at: Date, actor: UserRef?, action: String, resourceType: String, resourceId: String,
        projectId: String?, details: [String: String]
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.projectId = projectId
        self.details = details
    }
}
