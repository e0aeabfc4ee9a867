/// What a worker needs, besides the build record, to build it: the kernel
/// version to start from and the configuration version's modules. A worker
/// gets it with its claim, so it never needs a user's access.
public struct BuildPlan: Codable, Sendable, Equatable {
    public var baseVersion: String
    public var modules: [ConfigModule]
    public var baseConfig: BaseConfig
    /// The full .config to start from, with `baseConfig` `stored`.
    @ExplicitNull public var storedConfig: String?
    /// The kernel tree from git; nil: the worker's source package for `baseVersion`.
    @ExplicitNull public var source: GitSource?
    public var externalModules: [ExternalModule]

    public init(baseVersion: String, modules: [ConfigModule], baseConfig: BaseConfig = .tinyconfig, storedConfig: String? = nil,
                source: GitSource? = nil, externalModules: [ExternalModule] = []) {
        self.baseVersion = baseVersion
        self.modules = modules
        self.baseConfig = baseConfig
        self.storedConfig = storedConfig
        self.source = source
        self.externalModules = externalModules
    }
}

/// The answer to a claim: the build as `GET /builds/{id}` shows it, plus
/// `plan`.
public struct ClaimedBuild: Codable, Sendable {
    public var build: BuildRecord
    public var plan: BuildPlan

    public init(build: BuildRecord, plan: BuildPlan) {
        self.build = build
        self.plan = plan
    }

    private enum CodingKeys: String, CodingKey { case plan }

    public init(from decoder: any Decoder) throws {
        build = try BuildRecord(from: decoder)
        plan = try decoder.container(keyedBy: CodingKeys.self).decode(BuildPlan.self, forKey: .plan)
    }

    public func encode(to encoder: any Encoder) throws {
        try build.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(plan, forKey: .plan)
    }
}
