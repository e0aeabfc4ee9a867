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

    /// A distribution package built beside the tarball (`options.packages`),
    /// stored apart from it: `GET /artifacts/{id}/packages/{name}`.
    public struct Package: Codable, Sendable, Equatable {
        public var name: String
        public var size: Int
        public var sha256: String

        public init(name: String, size: Int, sha256: String) {
            self.name = name
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
    /// The compiler in its own words (the first line of `--version`), e.g.
    /// `aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0`; absent in artifacts built before it was recorded.
    public var compiler: String?
    /// The git source and commit the kernel was built from; absent for the workers' source package.
    public var source: BuildSource?
    /// The out-of-tree modules built against the kernel (under `lib/modules/<release>/extra/`) and their commits.
    public var externalModules: [ExternalModuleSource]?
    public var options: BuildOptions
    /// The configuration's baseVersion and the tree's own release, e.g. `6.1.192`.
    public var baseVersion: String
    public var kernelRelease: String
    public var configSha256: String
    public var imageSize: Int
    /// Lines the compiler reported as `warning:` and `error:` in the build's output.
    public var compilerWarnings: Int
    public var compilerErrors: Int
    /// How the build's compilations went through ccache; null without ccache.
    @ExplicitNull public var ccache: CcacheStats?
    /// Dependencies the build enabled and its warnings; absent in artifacts built before they were recorded.
    public var findings: BuildFindings?
    public var files: [File]
    /// The Debian packages (`options.packages`), absent when none was asked for.
    public var packages: [Package]?

    /// Compilations ccache answered from its cache, and those it had to run.
    public struct CcacheStats: Codable, Sendable, Equatable {
        public var hits: Int
        public var misses: Int
        /// hits / (hits + misses), 0 when nothing was compiled.
        public var hitRate: Double

        public init(hits: Int, misses: Int) {
            self.hits = hits
            self.misses = misses
            hitRate = hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
        }
    }

    public init(buildId: UUID, buildNumber: String, configuration: ConfigurationRef, configVersion: VersionRef,
                architecture: Architecture, toolchain: String, compiler: String? = nil, source: BuildSource? = nil, externalModules: [ExternalModuleSource]? = nil,
                options: BuildOptions, baseVersion: String,
                kernelRelease: String, configSha256: String, imageSize: Int, compilerWarnings: Int = 0, compilerErrors: Int = 0,
                ccache: CcacheStats? = nil, findings: BuildFindings? = nil, files: [File], packages: [Package]? = nil) {
        self.schema = Self.schema
        self.buildId = buildId
        self.buildNumber = buildNumber
        self.configuration = configuration
        self.configVersion = configVersion
        self.architecture = architecture
        self.toolchain = toolchain
        self.compiler = compiler
        self.source = source
        self.externalModules = externalModules
        self.options = options
        self.baseVersion = baseVersion
        self.kernelRelease = kernelRelease
        self.configSha256 = configSha256
        self.imageSize = imageSize
        self.compilerWarnings = compilerWarnings
        self.compilerErrors = compilerErrors
        self.ccache = ccache
        self.findings = findings
        self.files = files
        self.packages = packages
    }

    /// `linux-<release>-<configuration>-<arch>.tar.zst`, the configuration's
    /// name reduced to lowercase letters, digits and dashes.
    public var artifactName: String {
        let slug = String(configuration.name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
        return "linux-\(kernelRelease)-\(slug)-\(architecture.rawValue).tar.zst"
    }
}
