import Foundation

public struct Project: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String
    public var description: String
    public var createdAt: Date
    public var updatedAt: Date
    public var creator: UserRef

    public init(id: UUID, name: String, description: String, createdAt: Date, updatedAt: Date, creator: UserRef) {
        self.id = id
        self.name = name
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.creator = creator
    }
}

/// A request to create a project.
public struct NewProject: Decodable, Sendable {
    public var name: String
    public var description: String?

    public init(name: String, description: String? = nil) {
        self.name = name
        self.description = description
    }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        validator.check("name", name, .text(maxLength: 128))
        validator.check("description", description ?? "", .text(maxLength: 2000, allowEmpty: true))
        try validator.finish()
    }
}

/// One user's membership of a project.
public struct ProjectMember: Codable, Sendable, Equatable {
    public var user: UserRef
    public var role: ProjectRole
    public var addedAt: Date

    public init(user: UserRef, role: ProjectRole, addedAt: Date) {
        self.user = user
        self.role = role
        self.addedAt = addedAt
    }
}
