import ArgumentParser
import FarmMachine
import FarmModel
import Foundation
import NIOHTTP1

/// `kfarm build`: submits a build and, when asked, follows it to its end and downloads the kernel.
struct BuildCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a configuration version.",
        discussion: """
            VERSION is a configuration version's id, a configuration's id (its newest version), \
            or CONFIGURATION_ID@VERSION such as 7c0e…@1.2.0. The architecture is the configuration's.

            With --follow, shows the build live until it ends. Exit codes: 0 completed, 1 the build \
            failed, 2 an infrastructure failure or cancelled, 3 a usage or API error.

            Examples:
              kfarm build 7c0e8a4e-…@1.0.0 --priority high --follow
              kfarm build 7c0e8a4e-… --opt 3 --debug-symbols --follow --download ./kernels
              kfarm build 7c0e8a4e-… --compiler clang-16 --package deb --follow
            """)

    @OptionGroup var options: ClientOptions

    @Argument(help: "The version to build (see above).")
    var version: String

    @Option(help: "low, normal, high or critical.")
    var priority: BuildPriority = .normal

    @Option(help: "The compiler: gcc, gcc-12, gcc-12.2.0, clang or clang-16 (matched against what workers offer; default: the newest gcc).")
    var compiler: String?

    @Option(help: "Optimisation: 2, 3 or s (default: the base configuration's).")
    var opt: String?

    @Flag(help: "Keep debug symbols (vmlinux in the artifact).")
    var debugSymbols = false

    @Flag(help: "Build even if an artifact of the same inputs exists.")
    var noCache = false

    @Option(name: .customLong("package"), help: "Also build distribution packages: deb (the kernel's make bindeb-pkg). Repeatable.")
    var packages: [PackageFormat] = []

    @Option(help: "The build's environment label.")
    var environment: String?

    @Flag(help: "Follow the build until it ends (implied by --download).")
    var follow = false

    @Option(help: "Download and verify the kernel into this folder once built.")
    var download: String?

    func perform(on farm: FarmClient) async throws {
        let optimization = try opt.map { text in
            guard let level = OptimizationLevel.built.first(where: { $0.description == text }) else {
                throw ClientFailure.usage("--opt must be 2, 3 or s")
            }
            return level
        }
        let request = NewBuild(configVersionId: try await VersionName(version).resolve(on: farm), environment: environment,
                               priority: priority, options: BuildOptions(debugSymbols: debugSymbols,
                                                                         optimizationLevel: optimization,
                                                                         compilerVersion: compiler, noCache: noCache,
                                                                         packages: packages))
        let submitted: BuildRecord = try await farm.send(.POST, "/builds", request)
        guard follow || download != nil else {
            if options.json { try Output.json(submitted) } else {
                Output.line("\(submitted.buildNumber) queued: \(submitted.id.lowercased)  (kfarm builds show \(submitted.id.lowercased))")
            }
            return
        }
        if !options.json { Output.line("submitted \(submitted.buildNumber) (\(submitted.id.lowercased))") }
        let build = try await BuildFollower(farm: farm, id: submitted.id, quiet: options.json).follow()
        if options.json { try Output.json(build) } else { BuildScreen.result(build).forEach(Output.line) }
        if let failure = ClientFailure.ending(build) { throw failure }
        if let download, let artifactId = build.artifactId {
            guard let artifact = UUID(uuidString: artifactId) else {
                throw MachineError.verification("the build names artifact \(artifactId.debugDescription), which is not an id")
            }
            let files = try await ArtifactFetch(farm: farm, verify: true, packages: !packages.isEmpty)
                .download(artifact, into: URL(fileURLWithPath: download))
            if !options.json { files.forEach { Output.line("downloaded and verified \($0.path)") } }
        }
    }
}

extension BuildPriority: ExpressibleByArgument {}
extension PackageFormat: ExpressibleByArgument {}

/// A configuration version as people name it on the command line.
struct VersionName {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    private struct ConfigurationVersions: Decodable {
        var name: String
        var versions: [ConfigurationVersion]
    }

    func resolve(on farm: FarmClient) async throws -> UUID {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        guard let id = UUID(uuidString: parts.first ?? "") else {
            throw ClientFailure.usage("\(text) is not a version id, a configuration id or CONFIGURATION_ID@VERSION")
        }
        let configuration: ConfigurationVersions
        do {
            configuration = try await farm.get("/configurations/\(id.lowercased)")
        } catch let error as FarmClientError where error.status == 404 && parts.count == 1 {
            return id  // Not a configuration: a version id, which the API checks.
        }
        if parts.count == 2 {
            guard let version = configuration.versions.first(where: { $0.version == parts[1] }) else {
                throw ClientFailure.usage("configuration \(configuration.name) has no version \(parts[1]); it has "
                                          + configuration.versions.map(\.version).joined(separator: ", "))
            }
            return version.id
        }
        let unversioned = SemanticVersion(major: 0, minor: 0, patch: 0)
        guard let newest = configuration.versions.max(by: {
            (SemanticVersion($0.version) ?? unversioned, $0.createdAt) < (SemanticVersion($1.version) ?? unversioned, $1.createdAt)
        }) else { throw ClientFailure.usage("configuration \(configuration.name) has no version") }
        return newest.id
    }
}
