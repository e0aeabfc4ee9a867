import ArgumentParser
import FarmMachine
import FarmModel
import Foundation

/// `kfarm systems`: where kernels run, and what each one ran.
struct Systems: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List target systems and show their kernel history.", subcommands: [List.self, History.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "List target systems.", discussion: "Example: kfarm systems list --label env=prod --status online")

        @OptionGroup var options: ClientOptions
        @Option(help: "key=value, or a key.") var label: String?
        @Option(help: "online, offline or unknown.") var status: String?
        @Option(help: "x86_64, arm64 or riscv64.") var arch: Architecture?
        @OptionGroup var pages: PageOptions

        func perform(on farm: FarmClient) async throws {
            let listing = try await Self.systems(on: farm, label: label, status: status, arch: arch, query: pages.query)
            if options.json { return try Output.json(listing) }
            listing.show(["ID", "NAME", "ARCH", "STATUS", "RUNNING", "LABELS"], noun: "systems") { system in
                [system.id.lowercased, system.name, system.architecture.rawValue, system.status.rawValue,
                 system.currentArtifact?.name ?? "", system.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                     .joined(separator: ",")]
            }
        }

        static func systems(on farm: FarmClient, label: String?, status: String? = nil, arch: Architecture? = nil,
                            query: ListQuery) async throws -> Listing<TargetSystem> {
            var query = query
            query.add("label", label)
            query.add("status", status)
            query.add("arch", arch?.rawValue)
            return try await farm.get("/systems" + query.text)
        }
    }

    struct History: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "The kernels a system has switched to, newest first.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The system's id.") var id: UUID
        @OptionGroup var pages: PageOptions

        func perform(on farm: FarmClient) async throws {
            let listing: Listing<KernelSwitch> = try await farm.get("/systems/\(id.lowercased)/history" + pages.query.text)
            if options.json { return try Output.json(listing) }
            listing.show(["WHEN", "ACTION", "SLOT", "KERNEL", "ARTIFACT", "BY"], noun: "switches") { change in
                [change.switchedAt.formatted(.iso8601), change.action.rawValue + (change.rolledBack ? " (rolled back)" : ""),
                 change.slot?.rawValue ?? "", change.kernelRelease ?? "", change.artifact?.name ?? "",
                 change.authorizer?.username ?? ""]
            }
        }
    }
}

/// `kfarm lineage`: what an artifact was built from, by whom, and where it runs.
struct Lineage: ClientCommand {
    static let configuration = CommandConfiguration(abstract: "Show where an artifact came from and where it runs.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "The artifact's id.") var id: UUID

    func perform(on farm: FarmClient) async throws {
        let lineage: ArtifactLineage = try await farm.get("/artifacts/\(id.lowercased)/lineage")
        if options.json { return try Output.json(lineage) }
        Output.line("""
            \(lineage.artifact.name): Linux \(lineage.kernelRelease) for \(lineage.architecture.rawValue), sha256 \(lineage.sha256)
              from \(lineage.config.name) \(lineage.configVersion.version) (\(lineage.modules.map(\.name).joined(separator: ", ")))
              built by \(lineage.build.buildNumber), started by \(lineage.initiator.username)
            """)
        lineage.deployments.forEach {
            Output.line("  deployment \($0.id.lowercased) \($0.status.rawValue), \($0.targets) targets, by \($0.authorizer.username)")
        }
        lineage.runningOn.forEach { Output.line("  runs on \($0.name) (slot \($0.activeSlot?.rawValue ?? "?"))") }
    }
}

/// `kfarm diff`: the .config symbols that differ between two artifacts.
struct Diff: ClientCommand {
    static let configuration = CommandConfiguration(abstract: "Compare two artifacts' .config symbols.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "The older artifact's id.") var from: UUID
    @Argument(help: "The newer artifact's id.") var to: UUID

    func perform(on farm: FarmClient) async throws {
        let diff: KconfigDiff = try await farm.get("/artifacts/\(to.lowercased)/diff?against=\(from.lowercased)")
        if options.json { return try Output.json(diff) }
        Output.line("\(diff.from.name) → \(diff.to.name)")
        Output.table(["SYMBOL", "FROM", "TO"], diff.changes.map { [$0.symbol, $0.from, $0.to] })
    }
}
