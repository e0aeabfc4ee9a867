import ArgumentParser
import FarmMachine
import FarmModel
import Foundation
import NIOHTTP1

/// `kfarm configs`: kernel configurations and their versions.
struct Configs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, create and version kernel configurations.",
        subcommands: [List.self, Show.self, Create.self, Edit.self, Version.self, Diff.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List the configurations you can see.")

        @OptionGroup var options: ClientOptions
        @Option(help: "x86_64, arm64 or riscv64.") var arch: Architecture?
        @Option(help: "A project's id.") var project: String?
        @OptionGroup var pages: PageOptions

        func perform(on farm: FarmClient) async throws {
            var query = pages.query
            query.add("architecture", arch?.rawValue)
            query.add("project_id", project)
            let listing: Listing<Configuration> = try await farm.get("/configurations" + query.text)
            if options.json { return try Output.json(listing) }
            listing.show(["ID", "NAME", "ARCH", "BASE", "PROJECT"], noun: "configurations") { configuration in
                [configuration.id.lowercased, configuration.name, configuration.architecture.rawValue,
                 configuration.baseVersion, configuration.project.name]
            }
        }
    }

    /// A configuration as `GET /configurations/{id}` shows it, for text output.
    private struct Detail: Decodable {
        var id: String
        var name: String
        var architecture: Architecture
        var baseVersion: String
        var versions: [ConfigurationVersion]
        var modules: [ConfigModule]
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a configuration: its versions and modules.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The configuration's id.") var id: UUID

        func perform(on farm: FarmClient) async throws {
            let answer: JSONValue = try await farm.get("/configurations/\(id.lowercased)")
            if options.json { return try Output.json(answer) }
            let detail = try answer.decoded(as: Detail.self)
            Output.line("\(detail.name)  (\(detail.id))  \(detail.architecture.rawValue), Linux \(detail.baseVersion)")
            Output.line("versions: " + detail.versions.map { $0.version + ($0.isLocked ? " (locked)" : "") }.joined(separator: ", "))
            Output.table(["MODULE", "PATH", "BUILT", "REQUIRED"], detail.modules.map { module in
                [module.name, module.path ?? "", module.isBuiltin ? "in" : "module", module.isRequired ? "yes" : "no"]
            })
        }
    }

    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a configuration from a JSON file (the body of POST /configurations).",
            discussion: "Example: kfarm configs create -f riscv-server.json")

        @OptionGroup var options: ClientOptions
        @Option(name: .shortAndLong, help: "The JSON file.") var file: String

        func perform(on farm: FarmClient) async throws {
            let created: JSONValue = try await farm.send(.POST, "/configurations", try JSONValue.file(file))
            if options.json { return try Output.json(created) }
            let detail = try created.decoded(as: Detail.self)
            Output.line("configuration \(detail.id) created, version \(detail.versions.map(\.version).joined()) "
                        + "(kfarm build \(detail.id))")
        }
    }

    struct Edit: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a configuration: in your editor, or from a JSON file (the body of PATCH /configurations/{id}).",
            discussion: """
                Without -f, the configuration's name, description, base version and the latest version's \
                modules open in $VISUAL or $EDITOR (default vi) as JSON; what you save is sent, unless \
                nothing changed.

                Examples:
                  kfarm configs edit 7c0e…
                  kfarm configs edit 7c0e… -f rename.json
                """)

        @OptionGroup var options: ClientOptions
        @Argument(help: "The configuration's id.") var id: UUID
        @Option(name: .shortAndLong, help: "A JSON file with the fields to change.") var file: String?

        func perform(on farm: FarmClient) async throws {
            let changes: JSONValue
            if let file {
                changes = try JSONValue.file(file)
            } else {
                let current: JSONValue = try await farm.get("/configurations/\(id.lowercased)")
                let editable = current.keeping(["name", "description", "baseVersion", "modules"])
                // Only what changed is sent: renaming a configuration whose latest version is locked must not
                // also rewrite its modules.
                changes = try Editor.edit(editable, named: "kfarm-config-\(id.lowercased.prefix(8)).json").changes(from: editable)
                guard changes != .object([:]) else { return Output.line("no changes") }
            }
            let updated: JSONValue = try await farm.send(.PATCH, "/configurations/\(id.lowercased)", changes)
            if options.json { return try Output.json(updated) }
            let detail = try updated.decoded(as: Detail.self)
            Output.line("configuration \(detail.name) (\(detail.id)) updated; versions "
                        + detail.versions.map(\.version).joined(separator: ", "))
        }
    }

    struct Version: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a version from a JSON file (the body of POST /configurations/{id}/versions).")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The configuration's id.") var id: UUID
        @Option(name: .shortAndLong, help: "The JSON file, e.g. {\"version\": \"1.1.0\", \"modules\": [...]}.") var file: String

        func perform(on farm: FarmClient) async throws {
            let created: JSONValue = try await farm.send(.POST, "/configurations/\(id.lowercased)/versions",
                                                         try JSONValue.file(file))
            if options.json { return try Output.json(created) }
            let version = try created.decoded(as: ConfigurationVersion.self)
            Output.line("version \(version.version) (\(version.id.lowercased)) of \(id.lowercased)")
        }
    }

    struct Diff: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "What changed in the modules from one version to another.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The configuration's id.") var id: UUID
        @Argument(help: "The older version's id.") var from: UUID
        @Argument(help: "The newer version's id.") var to: UUID

        func perform(on farm: FarmClient) async throws {
            let diff: ModuleDiff = try await farm.get(
                "/configurations/\(id.lowercased)/versions/\(to.lowercased)/diff?against=\(from.lowercased)")
            if options.json { return try Output.json(diff) }
            Output.line("\(diff.from.version) → \(diff.to.version)")
            diff.added.forEach { Output.line("+ \($0.name)") }
            diff.removed.forEach { Output.line("- \($0.name)") }
            diff.changed.forEach { Output.line("~ \($0.name)") }
        }
    }
}

/// `kfarm modules search`: the module catalog workers published for a kernel series.
struct Modules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search a kernel series' modules.", subcommands: [Search.self])

    struct Search: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find modules by name or description.", discussion: "Example: kfarm modules search btrfs --series 6.1")

        @OptionGroup var options: ClientOptions
        @Argument(help: "What to look for.") var text: String
        @Option(help: "The kernel series.") var series = "6.1"
        @OptionGroup var pages: PageOptions

        func perform(on farm: FarmClient) async throws {
            var query = pages.query
            query.add("q", text)
            let listing: Listing<KernelModuleInfo> = try await farm.get("/kernels/\(series)/modules" + query.text)
            if options.json { return try Output.json(listing) }
            listing.show(["NAME", "PATH", "SYMBOL", "TYPE", "PARAMETERS"], noun: "modules") { module in
                [module.name, module.path, module.symbol, module.type, module.parameters.map(\.name).joined(separator: " ")]
            }
        }
    }
}
