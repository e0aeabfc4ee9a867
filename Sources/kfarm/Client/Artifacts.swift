import ArgumentParser
import FarmMachine
import FarmModel
import Foundation

/// `kfarm artifacts`: what the farm built, and fetching a kernel you can trust.
struct Artifacts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and download artifacts.",
        subcommands: [List.self, Show.self, Download.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "List artifacts, newest first.",
            discussion: "Example: kfarm artifacts list --arch riscv64 --release 6.1.158")

        @OptionGroup var options: ClientOptions
        @Option(help: "A configuration's id.") var config: String?
        @Option(help: "A build's id.") var build: String?
        @Option(help: "x86_64, arm64 or riscv64.") var arch: Architecture?
        @Option(help: "A kernel release such as 6.1.158.") var release: String?
        @OptionGroup var pages: PageOptions

        func perform(on farm: FarmClient) async throws {
            var query = pages.query
            query.add("config", config)
            query.add("build", build)
            query.add("arch", arch?.rawValue)
            query.add("kernelRelease", release)
            let listing: Listing<ArtifactRecord> = try await farm.get("/artifacts" + query.text)
            if options.json { return try Output.json(listing) }
            listing.show(["ID", "NAME", "ARCH", "RELEASE", "SIZE", "BUILD"], noun: "artifacts") { artifact in
                [artifact.id.lowercased, artifact.name, artifact.architecture.rawValue, artifact.kernelRelease,
                 ByteCountFormatter.string(fromByteCount: Int64(artifact.size), countStyle: .binary), artifact.build.buildNumber]
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show an artifact: what it was built from, and its files.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The artifact's id.") var id: UUID

        func perform(on farm: FarmClient) async throws {
            let artifact: ArtifactRecord = try await farm.get("/artifacts/\(id.lowercased)")
            if options.json { return try Output.json(artifact) }
            Output.line("""
                \(artifact.name)  (\(artifact.id.lowercased))
                  kernel \(artifact.kernelRelease) for \(artifact.architecture.rawValue), \(artifact.size) bytes, sha256 \(artifact.sha256)
                  built by \(artifact.build.buildNumber) from \(artifact.config.name) \(artifact.configVersion.version), \
                started by \(artifact.initiator.username)
                  signed with key \(artifact.signature.keyId)
                """)
            Output.table(["FILE", "SIZE", "SHA256"], artifact.metadata.files.map { [$0.path, String($0.size), $0.sha256] })
        }
    }

    struct Download: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download an artifact, resuming a cut download.",
            discussion: """
                The file is NAME.part until it is whole and checked; run the command again to resume a \
                cut download. The sha256 is always checked. --verify also checks the farm's Ed25519 \
                signature over the artifact's provenance and that it names this artifact, under --key \
                or the farm's key pinned the first time (in ~/.config/kfarm/config).

                With --packages, the artifact's Debian packages follow, each checked against the sha256 \
                the artifact (with --verify: its signed provenance) names.

                Example: kfarm artifacts download 5d2a… -o ./kernels --verify --packages
                """)

        @OptionGroup var options: ClientOptions
        @Argument(help: "The artifact's id.") var id: UUID
        @Option(name: .shortAndLong, help: "The folder to download into.") var output = "."
        @Flag(help: "Check the farm's signature over the provenance too.") var verify = false
        @Option(help: "A file with the farm's public key (base64 or PEM) instead of the pinned one.") var key: String?
        @Flag(help: "Download its Debian packages too (built with --package deb).") var packages = false

        /// What `--json` prints.
        struct Downloaded: Encodable {
            var file: String
            var verified: String
            var packages: [String]
        }

        func perform(on farm: FarmClient) async throws {
            let files = try await ArtifactFetch(farm: farm, verify: verify, keyFile: key.map(URL.init(fileURLWithPath:)),
                                                packages: packages)
                .download(id, into: URL(fileURLWithPath: output))
            let verified = verify ? "sha256 and signature" : "sha256"
            if options.json {
                try Output.json(Downloaded(file: files[0].path, verified: verified, packages: files.dropFirst().map(\.path)))
            } else {
                Output.line("\(files[0].path)  " + (verify ? "sha256 and signature verified" : "sha256 checked"))
                for package in files.dropFirst() { Output.line("\(package.path)  sha256 checked against the artifact's \(verified)") }
            }
        }
    }
}
