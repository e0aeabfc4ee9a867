import Foundation

/// How urgently a build should run; maps to AMQP message priorities on the
/// `kfarm.builds.<arch>` priority queues.
public enum BuildPriority: String, CaseIterable, Codable, Sendable {
    case low, normal, high, critical

    /// The AMQP priority (queues are declared with `x-max-priority` = `maxAMQPPriority`).
    public var amqpPriority: UInt8 {
        switch self {
        case .low: 1
        case .normal: 4
        case .high: 7
        case .critical: 10
        }
    }

    public static let maxAMQPPriority: Int32 = 10
}

/// A build's life: queued → in_progress → completed | failed, and cancelled
/// from queued or in_progress. A lost worker puts an in-progress build back
/// to queued for another attempt. The moves are `BuildTransition`s.
public enum BuildStatus: String, CaseIterable, Codable, Sendable {
    case queued, in_progress, completed, failed, cancelled

    public func canMove(to next: BuildStatus) -> Bool { BuildTransition.allows(self, to: next) }

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// The seed's five stages, in order.
public enum BuildStage: String, CaseIterable, Codable, Sendable {
    case initialization, compiling_core, compiling_modules, packaging, testing
}

/// A stage's life: pending → in_progress → completed | failed, or skipped
/// from pending. A stage may also complete or fail straight from pending
/// (an event batch can carry both transitions).
public enum StageStatus: String, CaseIterable, Codable, Sendable {
    case pending, in_progress, completed, failed, skipped

    /// The statuses a stage may move to this one from.
    public var predecessors: [StageStatus] {
        switch self {
        case .pending: []
        case .in_progress, .skipped: [.pending]
        case .completed, .failed: [.pending, .in_progress]
        }
    }
}

/// The seed's build options.
public struct BuildOptions: Codable, Sendable, Equatable {
    public var debugSymbols: Bool
    /// The compiler optimisation asked for; absent: the base configuration's
    /// own choice (tinyconfig optimises for size).
    @ExplicitNull public var optimizationLevel: OptimizationLevel?
    /// e.g. `gcc`, `gcc-12` or `gcc-12.2.0`, matched against what the
    /// architecture's workers offer (CompilerRequest); absent means the worker's default toolchain.
    @ExplicitNull public var compilerVersion: String?
    /// Build even when an artifact of the same inputs exists (the build cache is skipped).
    public var noCache: Bool
    /// Distribution packages beside the tarball, e.g. `["deb"]`; absent
    /// (and so out of the build-cache key of builds that ask for none) when empty.
    public var packages: [PackageFormat]?

    public init(debugSymbols: Bool = false, optimizationLevel: OptimizationLevel? = nil, compilerVersion: String? = nil,
                noCache: Bool = false, packages: [PackageFormat] = []) {
        self.debugSymbols = debugSymbols
        self.optimizationLevel = optimizationLevel
        self.compilerVersion = compilerVersion
        self.noCache = noCache
        self.packages = Self.normalized(packages)
    }

    /// Each format once, in a fixed order; nil for none: one set of packages, one build-cache key.
    private static func normalized(_ packages: [PackageFormat]) -> [PackageFormat]? {
        packages.isEmpty ? nil : Set(packages).sorted { $0.rawValue < $1.rawValue }
    }

    /// Whether the build adds `format`'s packages.
    public func adds(_ format: PackageFormat) -> Bool { packages?.contains(format) == true }

    private enum CodingKeys: String, CodingKey { case debugSymbols, optimizationLevel, compilerVersion, noCache, packages }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        debugSymbols = try container.decodeIfPresent(Bool.self, forKey: .debugSymbols) ?? false
        optimizationLevel = try container.decodeIfPresent(OptimizationLevel.self, forKey: .optimizationLevel)
        compilerVersion = try container.decodeIfPresent(String.self, forKey: .compilerVersion)
        noCache = try container.decodeIfPresent(Bool.self, forKey: .noCache) ?? false
        packages = Self.normalized(try container.decodeIfPresent([PackageFormat].self, forKey: .packages) ?? [])
    }

    func validate(into validator: inout Validator) {
        if let problem = optimizationLevel?.problem { validator.fail("options.optimizationLevel", problem) }
        if let compiler = compilerVersion { validator.check("options.compilerVersion", compiler, Self.compilerRule) }
    }

    /// `gcc`, `gcc-12`, `gcc-12.2.0`, `clang-16`: a compiler, with as much of its version as matters (see CompilerRequest).
    static let compilerRule = FieldRule { value in
        CompilerRequest(value) == nil ? "must be a compiler, optionally with a version: gcc, gcc-12, gcc-12.2.0, clang or clang-16" : nil
    }
}

/// A request to build a configuration version (the seed's `POST /builds`).
public struct NewBuild: Codable, Sendable {
    public var configVersionId: UUID
    public var environment: String?
    public var priority: String?
    public var options: BuildOptions?

    public init(configVersionId: UUID, environment: String? = nil, priority: BuildPriority? = nil, options: BuildOptions? = nil) {
        self.configVersionId = configVersionId
        self.environment = environment
        self.priority = priority?.rawValue
        self.options = options
    }

    /// The priority asked for, `normal` by default; call after `validate()`.
    public var validPriority: BuildPriority { priority.flatMap(BuildPriority.init) ?? .normal }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        if let environment { validator.check("environment", environment, Self.environmentRule) }
        if let priority, BuildPriority(rawValue: priority) == nil {
            validator.fail("priority", "must be one of: \(BuildPriority.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        options?.validate(into: &validator)
        try validator.finish()
    }

    /// `production`, `staging`, `ci-123`: a short label.
    static let environmentRule = FieldRule { value in
        let valid = (1...64).contains(value.count)
            && value.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" || $0 == "." }
        return valid ? nil : "must be 1 to 64 letters, digits, '_', '-' or '.'"
    }
}
