import Foundation

/// One version of a configuration. A locked version is immutable: builds
/// refer to it, so its modules can never change.
public struct ConfigurationVersion: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var version: String
    public var createdAt: Date
    public var isLocked: Bool
    @ExplicitNull public var lockedAt: Date?

    public init(id: UUID, version: String, createdAt: Date, isLocked: Bool, lockedAt: Date?) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.isLocked = isLocked
        self.lockedAt = lockedAt
    }
}

/// A version together with its modules (`GET /configurations/{id}/versions/{vid}`).
public struct ConfigurationVersionDetail: Encodable, Sendable, Equatable {
    public var version: ConfigurationVersion
    public var configurationId: UUID
    public var modules: [ConfigModule]

    public init(version: ConfigurationVersion, configurationId: UUID, modules: [ConfigModule]) {
        self.version = version
        self.configurationId = configurationId
        self.modules = modules
    }

    private enum CodingKeys: String, CodingKey { case configurationId, modules }

    public func encode(to encoder: any Encoder) throws {
        try version.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(configurationId.lowercased, forKey: .configurationId)
        try container.encode(modules, forKey: .modules)
    }
}

/// A request for a new version. Without `version` the next minor version is
/// taken; without `modules` the latest version's modules are copied.
public struct NewConfigurationVersion: Decodable, Sendable {
    public var version: String?
    public var modules: [ModuleSpec]?

    public init(version: String? = nil, modules: [ModuleSpec]? = nil) {
        self.version = version
        self.modules = modules
    }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        if let version, SemanticVersion(version) == nil {
            validator.fail("version", "must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.2.0")
        }
        if let modules { ModuleSpec.validate(modules, field: "modules", into: &validator) }
        try validator.finish()
    }
}
