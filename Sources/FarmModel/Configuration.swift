import Foundation

/// A kernel configuration as the seed lists it.
public struct Configuration: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String
    public var description: String
    public var baseVersion: String
    public var architecture: Architecture
    public var createdAt: Date
    public var updatedAt: Date
    public var creator: UserRef
    public var project: ProjectRef
    /// What builds start from before the modules are merged in.
    public var baseConfig: BaseConfig
    /// sha256 of the stored .config when `baseConfig` is `stored`.
    @ExplicitNull public var storedConfigSha256: String?
    /// The kernel tree from git; null: the workers' kernel source package (Debian's linux-source).
    @ExplicitNull public var source: GitSource?
    /// Out-of-tree modules built against each kernel and shipped with it.
    public var externalModules: [ExternalModule]

    public init(
        id: UUID, name: String, description: String, baseVersion: String, architecture: Architecture,
        createdAt: Date, updatedAt: Date, creator: UserRef, project: ProjectRef, baseConfig: BaseConfig = .tinyconfig,
        storedConfigSha256: String? = nil, source: GitSource? = nil, externalModules: [ExternalModule] = []
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.baseVersion = baseVersion
        self.architecture = architecture
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.creator = creator
        self.project = project
        self.baseConfig = baseConfig
        self.storedConfigSha256 = storedConfigSha256
        self.source = source
        self.externalModules = externalModules
    }
}

/// A configuration with its versions and the modules of its latest version,
/// encoded flat as the seed's `GET /configurations/{id}`.
public struct ConfigurationDetail: Encodable, Sendable, Equatable {
    public var configuration: Configuration
    public var versions: [ConfigurationVersion]
    public var modules: [ConfigModule]

    public init(configuration: Configuration, versions: [ConfigurationVersion], modules: [ConfigModule]) {
        self.configuration = configuration
        self.versions = versions
        self.modules = modules
    }

    private enum CodingKeys: String, CodingKey { case versions, modules }

    public func encode(to encoder: any Encoder) throws {
        try configuration.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(versions, forKey: .versions)
        try container.encode(modules, forKey: .modules)
    }
}

/// A request to create a configuration (the seed's `POST /configurations`).
public struct NewConfiguration: Decodable, Sendable {
    public var name: String
    public var description: String?
    public var baseVersion: String
    public var architecture: String
    public var projectId: UUID
    public var modules: [ModuleSpec]?
    /// `tinyconfig` (absent), `defconfig` or `stored` (then with `storedConfig`).
    public var baseConfig: String?
    /// The full .config to start from, with `baseConfig` `stored`.
    public var storedConfig: String?
    /// A kernel tree from git instead of the workers' source package.
    public var source: GitSource?
    public var externalModules: [ExternalModule]?

    public init(
        name: String, description: String? = nil, baseVersion: String, architecture: String,
        projectId: UUID, modules: [ModuleSpec]? = nil, baseConfig: BaseConfig? = nil, storedConfig: String? = nil,
        source: GitSource? = nil, externalModules: [ExternalModule]? = nil
    ) {
        self.name = name
        self.description = description
        self.baseVersion = baseVersion
        self.architecture = architecture
        self.projectId = projectId
        self.modules = modules
        self.baseConfig = baseConfig?.rawValue
        self.storedConfig = storedConfig
        self.source = source
        self.externalModules = externalModules
    }

    /// The validated base configuration; call after `validate()`.
    public var validBaseConfig: BaseConfig { baseConfig.flatMap(BaseConfig.init) ?? .tinyconfig }

    /// The validated architecture; call after `validate()`.
    public var validArchitecture: Architecture { Architecture(rawValue: architecture)! }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        validator.check("name", name, ConfigurationRules.name)
        validator.check("description", description ?? "", ConfigurationRules.description)
        validator.check("baseVersion", baseVersion, .kernelVersion)
        if Architecture(rawValue: architecture) == nil {
            validator.fail("architecture", "must be one of: \(Architecture.allowedValues.joined(separator: ", "))")
        }
        ModuleSpec.validate(modules ?? [], field: "modules", into: &validator)
        BaseConfig.validate(baseConfig ?? BaseConfig.tinyconfig.rawValue, storedConfig, into: &validator)
        source?.validate(field: "source", into: &validator)
        ExternalModule.validate(externalModules ?? [], field: "externalModules", into: &validator)
        try validator.finish()
    }
}

extension BaseConfig {
    /// `stored` comes with a valid .config, the others with none.
    static func validate(_ name: String, _ stored: String?, into validator: inout Validator) {
        guard let base = BaseConfig(rawValue: name) else {
            validator.fail("baseConfig", "must be one of: \(allowedValues)")
            return
        }
        switch (base, stored) {
        case (.stored, nil): validator.fail("storedConfig", "is required with baseConfig stored: the full .config to start from")
        case (.stored, let text?): validator.check("storedConfig", text, StoredConfigRule.rule)
        case (_, .some): validator.fail("storedConfig", "is only for baseConfig stored")
        case (_, nil): break
        }
    }
}

/// A `PATCH /configurations/{id}`: absent fields stay as they are.
public struct ConfigurationChanges: Decodable, Sendable {
    public var name: String?
    public var description: String?
    public var baseVersion: String?
    /// Not changeable: present only to reject it with a clear message.
    public var architecture: String?
    /// Replaces the modules of the latest version, which must not be locked.
    public var modules: [ModuleSpec]?
    /// Like `baseVersion`: only while no version is locked; `storedConfig` goes with `stored`.
    public var baseConfig: String?
    public var storedConfig: String?
    /// Like `baseConfig`: a new git source only while no version is locked.
    public var source: GitSource?
    /// Replaces the external modules, like `source` only while no version is locked.
    public var externalModules: [ExternalModule]?

    public init(name: String? = nil, description: String? = nil, baseVersion: String? = nil, modules: [ModuleSpec]? = nil,
                baseConfig: BaseConfig? = nil, storedConfig: String? = nil, source: GitSource? = nil,
                externalModules: [ExternalModule]? = nil) {
        self.name = name
        self.description = description
        self.baseVersion = baseVersion
        self.modules = modules
        self.baseConfig = baseConfig?.rawValue
        self.storedConfig = storedConfig
        self.source = source
        self.externalModules = externalModules
    }

    /// Whether the sources builds are made of change (which locked versions forbid, as for `baseVersion`).
    public var changesSources: Bool { source != nil || externalModules != nil }

    /// Whether the base configuration changes (which locked versions forbid, as for `baseVersion`).
    public var changesBase: Bool { baseConfig != nil || storedConfig != nil }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        if let name { validator.check("name", name, ConfigurationRules.name) }
        if let description { validator.check("description", description, ConfigurationRules.description) }
        if let baseVersion { validator.check("baseVersion", baseVersion, .kernelVersion) }
        if architecture != nil {
            validator.fail("architecture", "cannot be changed: create a new configuration for another architecture")
        }
        if let modules { ModuleSpec.validate(modules, field: "modules", into: &validator) }
        if changesBase {
            if let baseConfig {
                BaseConfig.validate(baseConfig, storedConfig, into: &validator)
            } else {
                validator.fail("baseConfig", "must come with storedConfig (stored)")
            }
        }
        source?.validate(field: "source", into: &validator)
        if let externalModules { ExternalModule.validate(externalModules, field: "externalModules", into: &validator) }
        if name == nil && description == nil && baseVersion == nil && architecture == nil && modules == nil && !changesBase
            && !changesSources {
            validator.fail("body", "must change at least one of: name, description, baseVersion, modules, baseConfig, source, "
                           + "externalModules")
        }
        try validator.finish()
    }
}

public enum ConfigurationRules {
    public static let name = FieldRule.text(maxLength: 128)
    public static let description = FieldRule.text(maxLength: 2000, allowEmpty: true)
}

extension ConfigurationChanges {
    /// What changed, for the audit log: new values, and module names.
    public var auditDetails: [String: String] {
        var details: [String: String] = [:]
        if let name { details["name"] = name }
        if let description { details["description"] = description }
        if let baseVersion { details["baseVersion"] = baseVersion }
        if let modules { details["modules"] = modules.map(\.name).joined(separator: ", ") }
        if let baseConfig { details["baseConfig"] = baseConfig }
        if let source { details["source"] = "\(source.git) \(source.ref)" }
        if let externalModules { details["externalModules"] = externalModules.map(\.name).joined(separator: ", ") }
        return details
    }
}
