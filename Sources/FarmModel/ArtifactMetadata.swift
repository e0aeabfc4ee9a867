import Foundation

/// `metadata.json` inside a kernel artifact: what was built, from what and
/// with what, and the sha256 of every file beside it.
public struct ArtifactMetadata: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var size: Int
        public var sha256: String

        public init(path: String, size: Int, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    public static let schema = "kfarm.artifact.metadata/1"

    public var schema: String
    @LowercaseUUID public var buildId: UUID
    public var buildNumber: String
    public var configuration: ConfigurationRef
    public var configVersion: VersionRef
    public var architecture: Architecture
    /// e.g. `gcc-12.2.0`.
    public var toolchain: String
    public var options: BuildOptions
    /// The configuration's baseVersion and the tree's own release, e.g. `6.1.192`.
    public var baseVersion: String
    public var kernelRelease: String
    public var configSha256: String
    public var imageSize: Int
    public var files: [File]

    public init(buildId: UUID, buildNumber: String, configuration: ConfigurationRef, configVersion: VersionRef,
                architecture: Architecture, toolchain: String, options: BuildOptions, baseVersion: String,
                kernelRelease: String, configSha256: String, imageSize: Int, files: [File]) {
        self.schema = Self.schema
        self.buildId = buildId
        self.buildNumber = buildNumber
        self.configuration = configuration
        self.configVersion = configVersion
        self.architecture = architecture
        self.toolchain = toolchain
        self.options = options
        self.baseVersion = baseVersion
        self.kernelRelease = kernelRelease
        self.configSha256 = configSha256
        self.imageSize = imageSize
        self.files = files
    }

    /// `linux-<release>-<configuration>-<arch>.tar.zst`, the configuration's
    /// name reduced to lowercase letters, digits and dashes.
    public var artifactName: String {
        let slug = String(configuration.name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
        return "linux-\(kernelRelease)-\(slug)-\(architecture.rawValue).tar.zst"
    }
}
