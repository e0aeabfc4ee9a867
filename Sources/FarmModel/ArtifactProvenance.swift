import Foundation

/// What the farm attests about an artifact when it stores it: the tarball's
/// sha256 and size (and its Debian packages'), the build it came from, and the sha256 of its
/// metadata.json. The server signs these bytes; anyone holding the farm's
/// public key (`GET /signing-key`) can check an artifact came from this
/// farm unaltered.
public struct ArtifactProvenance: Codable, Sendable, Equatable {
    public static let schema = "kfarm.artifact.provenance/1"

    public var schema: String
    @LowercaseUUID public var artifactId: UUID
    public var name: String
    public var sha256: String
    public var size: Int
    public var architecture: Architecture
    public var kernelRelease: String
    public var build: BuildRef
    public var config: ConfigurationRef
    public var configVersion: VersionRef
    public var initiator: UserRef
    public var toolchain: String
    /// The compiler in its own words, as the metadata says (absent when it does not).
    public var compiler: String?
    /// The git source and commit, as the metadata says (absent for the workers' source package).
    public var source: BuildSource?
    /// The out-of-tree modules and their commits, as the metadata says.
    public var externalModules: [ExternalModuleSource]?
    /// The Debian packages beside the tarball, each with its sha256 (absent when none was asked for).
    public var packages: [ArtifactMetadata.Package]?
    /// sha256 of the canonical JSON of the artifact's metadata (sorted keys).
    public var metadataSha256: String
    public var signedAt: Date

    public init(artifactId: UUID, name: String, sha256: String, size: Int, architecture: Architecture, kernelRelease: String,
                build: BuildRef, config: ConfigurationRef, configVersion: VersionRef, initiator: UserRef, toolchain: String,
                compiler: String? = nil, source: BuildSource? = nil, externalModules: [ExternalModuleSource]? = nil,
                packages: [ArtifactMetadata.Package]? = nil, metadataSha256: String, signedAt: Date) {
        self.schema = Self.schema
        self.artifactId = artifactId
        self.name = name
        self.sha256 = sha256
        self.size = size
        self.architecture = architecture
        self.kernelRelease = kernelRelease
        self.build = build
        self.config = config
        self.configVersion = configVersion
        self.initiator = initiator
        self.toolchain = toolchain
        self.compiler = compiler
        self.source = source
        self.externalModules = externalModules
        self.packages = packages
        self.metadataSha256 = metadataSha256
        self.signedAt = signedAt
    }

    /// The bytes that are signed: JSON with sorted keys and second-precision UTC dates.
    public func canonicalJSON() throws -> Data {
        try Self.canonicalEncoder().encode(self)
    }

    /// Sorted keys, no whitespace, ISO 8601 dates: one text for one value.
    public static func canonicalEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

/// The farm's signature over an artifact's provenance, as
/// `GET /artifacts/{id}` returns it: verify `value` over the bytes of
/// `statement` with the key `keyId` names, then read the statement.
public struct ProvenanceSignature: Codable, Sendable, Equatable {
    public static let algorithm = "ed25519"

    public var algorithm: String
    /// sha256 of the raw public key, hex: which key signed.
    public var keyId: String
    /// The signed provenance statement (its exact bytes, base64).
    public var statement: String
    /// The signature, base64.
    public var value: String

    public init(keyId: String, statement: Data, value: Data) {
        self.algorithm = Self.algorithm
        self.keyId = keyId
        self.statement = statement.base64EncodedString()
        self.value = value.base64EncodedString()
    }
}

/// The farm's public signing key: `GET /signing-key`.
public struct SigningKey: Codable, Sendable, Equatable {
    public var algorithm: String
    public var keyId: String
    /// The raw 32-byte Ed25519 public key, base64.
    public var publicKey: String
    /// The same key as PEM (SubjectPublicKeyInfo), for openssl and friends.
    public var publicKeyPem: String

    public init(keyId: String, publicKey: Data, publicKeyPem: String) {
        self.algorithm = ProvenanceSignature.algorithm
        self.keyId = keyId
        self.publicKey = publicKey.base64EncodedString()
        self.publicKeyPem = publicKeyPem
    }
}
