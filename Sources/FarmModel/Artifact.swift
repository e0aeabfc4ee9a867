import Foundation

/// A stored kernel artifact as `GET /artifacts` and `GET /artifacts/{id}`
/// show it: what it is, where it came from, its metadata.json, and the
/// farm's signature over its provenance.
public struct ArtifactRecord: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String
    public var architecture: Architecture
    public var kernelRelease: String
    public var size: Int
    public var sha256: String
    public var createdAt: Date
    /// The build that produced it (builds that reused it point here with `cachedFrom`).
    public var build: BuildRef
    public var config: ConfigurationRef
    public var configVersion: VersionRef
    public var initiator: UserRef
    public var metadata: ArtifactMetadata
    public var signature: ProvenanceSignature

    public init(id: UUID, name: String, architecture: Architecture, kernelRelease: String, size: Int, sha256: String,
                createdAt: Date, build: BuildRef, config: ConfigurationRef, configVersion: VersionRef, initiator: UserRef,
                metadata: ArtifactMetadata, signature: ProvenanceSignature) {
        self.id = id
        self.name = name
        self.architecture = architecture
        self.kernelRelease = kernelRelease
        self.size = size
        self.sha256 = sha256
        self.createdAt = createdAt
        self.build = build
        self.config = config
        self.configVersion = configVersion
        self.initiator = initiator
        self.metadata = metadata
        self.signature = signature
    }
}

/// A build inside other objects.
public struct BuildRef: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var buildNumber: String

    public init(id: UUID, buildNumber: String) {
        self.id = id
        self.buildNumber = buildNumber
    }
}

/// What the worker reports after uploading an artifact's tarball
/// (`PUT /artifact-blobs/{sha256}`): `POST /builds/{id}/artifact`.
public struct ArtifactUpload: Codable, Sendable, Equatable {
    @LowercaseUUID public var workerId: UUID
    public var attempt: Int
    public var sha256: String
    public var size: Int
    /// The hash of the build's inputs with its final configuration, for the build cache; null: not reusable.
    @ExplicitNull public var inputKey: String?
    /// The hash of the build's inputs as known before anything ran (its plan); null: none.
    @ExplicitNull public var planKey: String?
    public var metadata: ArtifactMetadata
    /// The resolved .config, for comparing artifacts' Kconfig symbols; null: not reported.
    @ExplicitNull public var kconfig: String?

    public init(workerId: UUID, attempt: Int, sha256: String, size: Int, inputKey: String?, planKey: String? = nil,
                metadata: ArtifactMetadata, kconfig: String? = nil) {
        self.workerId = workerId
        self.attempt = attempt
        self.sha256 = sha256
        self.size = size
        self.inputKey = inputKey
        self.planKey = planKey
        self.metadata = metadata
        self.kconfig = kconfig
    }

    public var claim: BuildClaim { BuildClaim(workerId: workerId, attempt: attempt) }

    public func validate(build buildID: UUID) throws(ValidationError) {
        var validator = Validator()
        validator.check("sha256", sha256, ContentHash.rule)
        if let inputKey { validator.check("inputKey", inputKey, ContentHash.rule) }
        if let planKey { validator.check("planKey", planKey, ContentHash.rule) }
        if size < 0 { validator.fail("size", "must not be negative") }
        if metadata.buildId != buildID { validator.fail("metadata.buildId", "must be the build in the path") }
        if metadata.schema != ArtifactMetadata.schema { validator.fail("metadata.schema", "must be \(ArtifactMetadata.schema)") }
        if let kconfig { validator.check("kconfig", kconfig, StoredConfigRule.rule) }
        for (field, value) in [("metadata.kernelRelease", metadata.kernelRelease), ("metadata.baseVersion", metadata.baseVersion)] {
            validator.check(field, value, ContentHash.releaseRule)
        }
        metadata.validate(into: &validator)
        try validator.finish()
    }
}

extension ArtifactMetadata {
    /// The most files an artifact lists (a kernel with every module has a few thousand).
    public static let maxFiles = 100_000

    /// What the farm signs is what a worker reported, so it is held to the
    /// rules first: relative file paths without `..`, sizes and counts not
    /// negative, names bounded and free of control characters.
    func validate(into validator: inout Validator) {
        let name = FieldRule.text(maxLength: 256)
        validator.check("metadata.toolchain", toolchain, name)
        if let compiler { validator.check("metadata.compiler", compiler, name) }
        validator.check("metadata.buildNumber", buildNumber, name)
        validator.check("metadata.configuration.name", configuration.name, name)
        validator.check("metadata.configVersion.version", configVersion.version, name)
        if !configSha256.isEmpty { validator.check("metadata.configSha256", configSha256, ContentHash.rule) }
        let counts = [("metadata.imageSize", imageSize), ("metadata.compilerWarnings", compilerWarnings),
                      ("metadata.compilerErrors", compilerErrors),
                      ("metadata.ccache.hits", ccache?.hits ?? 0), ("metadata.ccache.misses", ccache?.misses ?? 0)]
        for (field, value) in counts where value < 0 { validator.fail(field, "must not be negative") }
        if files.count > Self.maxFiles { validator.fail("metadata.files", "must list at most \(Self.maxFiles) files") }
        for (index, file) in files.prefix(Self.maxFiles).enumerated() {
            validator.check("metadata.files[\(index)].path", file.path, Self.filePath)
            if file.size < 0 { validator.fail("metadata.files[\(index)].size", "must not be negative") }
            validator.check("metadata.files[\(index)].sha256", file.sha256, ContentHash.rule)
        }
        let packages = packages ?? []
        if packages.count > Self.maxPackages { validator.fail("metadata.packages", "must list at most \(Self.maxPackages) packages") }
        for (index, package) in packages.prefix(Self.maxPackages).enumerated() {
            validator.check("metadata.packages[\(index)].name", package.name, PackageFormat.fileNameRule)
            if package.size < 0 { validator.fail("metadata.packages[\(index)].size", "must not be negative") }
            validator.check("metadata.packages[\(index)].sha256", package.sha256, ContentHash.rule)
        }
        if Set(packages.map(\.name)).count != packages.count { validator.fail("metadata.packages", "must name each package once") }
    }

    /// bindeb-pkg writes four at most: image, its debug symbols, headers, libc headers.
    public static let maxPackages = 8

    /// A file inside the tarball, e.g. `lib/modules/6.1.158/kernel/fs/ext4/ext4.ko`:
    /// relative, no empty, `.` or `..` segments, a plain alphabet.
    private static let filePathAlphabet = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+~,=@:/".unicodeScalars)

    static let filePath = FieldRule { value in
        guard (1...1024).contains(value.utf8.count) else { return "must be 1 to 1024 characters" }
        if value.hasPrefix("/") { return "must be relative to the artifact's root" }
        for segment in value.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." { return "must not contain empty, '.' or '..' segments" }
        }
        return value.unicodeScalars.allSatisfy(filePathAlphabet.contains) ? nil : "may contain only letters, digits, '/' and _ - . + ~ , = @ :"
    }
}

/// A worker asking whether a build's inputs were built before:
/// `POST /builds/{id}/cache-hit`, with either of its keys.
public struct CacheLookup: Codable, Sendable, Equatable {
    @LowercaseUUID public var workerId: UUID
    public var attempt: Int
    public var inputKey: String

    public init(workerId: UUID, attempt: Int, inputKey: String) {
        self.workerId = workerId
        self.attempt = attempt
        self.inputKey = inputKey
    }

    public var claim: BuildClaim { BuildClaim(workerId: workerId, attempt: attempt) }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        validator.check("inputKey", inputKey, ContentHash.rule)
        try validator.finish()
    }
}

/// A tarball in the artifact store: `PUT /artifact-blobs/{sha256}` answers with it.
public struct StoredBlob: Codable, Sendable, Equatable {
    public var sha256: String
    public var size: Int

    public init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }
}

/// Hex sha256 digests, as artifacts and build inputs are named by them.
public enum ContentHash {
    /// Lowercase hex of a digest's bytes, without a formatter per byte
    /// (packaging spells one per file, thousands per artifact).
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func isValid(_ value: String) -> Bool {
        value.utf8.count == 64 && value.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    public static let rule = FieldRule { isValid($0) ? nil : "must be a sha256 digest: 64 lowercase hex digits" }

    /// Kernel releases and versions: `6.1.158`, `6.1.0-rc1+`.
    public static let releaseRule = FieldRule { value in
        let allowed = value.count <= 64 && !value.isEmpty
            && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._+-~".contains($0)) }
        return allowed ? nil : "must be a kernel release such as 6.1.158"
    }
}
