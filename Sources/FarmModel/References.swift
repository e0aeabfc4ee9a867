import Foundation

/// The short form of a user inside other objects (`creator`, `initiator`).
public struct UserRef: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var username: String

    public init(id: UUID, username: String) {
        self.id = id
        self.username = username
    }
}

/// The short form of a named thing inside other objects: `project`, `config`.
public struct NamedRef: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String

    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}

public typealias ProjectRef = NamedRef
public typealias ConfigurationRef = NamedRef
