import ArgumentParser
import FarmMachine
import FarmModel
import Foundation
import NIOHTTP1

/// `kfarm builds`: what was built, one build, and stopping or retrying one.
struct Builds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, cancel and retry builds.",
        subcommands: [List.self, Show.self, Cancel.self, Retry.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "List builds, newest first.",
            discussion: "Example: kfarm builds list --status failed --arch arm64 --mine")

        @OptionGroup var options: ClientOptions
        @Option(help: "queued, in_progress, completed, failed or cancelled.") var status: BuildStatus?
        @Option(help: "A configuration's id.") var config: String?
        @Option(help: "x86_64, arm64 or riscv64.") var arch: Architecture?
        @Flag(help: "Only builds you started.") var mine = false
        @OptionGroup var pages: PageOptions

        func perform(on farm: FarmClient) async throws {
            var query = pages.query
            query.add("status", status?.rawValue)
            query.add("config", config)
            query.add("arch", arch?.rawValue)
            if mine {
                let me: User = try await farm.get("/users/me")
                query.add("initiator", me.id.lowercased)
            }
            let listing: Listing<BuildRecord> = try await farm.get("/builds" + query.text)
            if options.json { return try Output.json(listing) }
            listing.show(["ID", "NUMBER", "ARCH", "STATUS", "STAGE", "STARTED"], noun: "builds") { build in
                [build.id.lowercased, build.buildNumber, build.architecture.rawValue, Output.paint(build.status),
                 build.currentStage?.rawValue ?? "", build.startedAt.formatted(.iso8601)]
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a build: its stages, result and artifact.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The build's id.") var id: UUID

        func perform(on farm: FarmClient) async throws {
            let build: BuildRecord = try await farm.get("/builds/\(id.lowercased)")
            if options.json { return try Output.json(build) }
            BuildScreen.lines(build, log: []).forEach(Output.line)
            if build.status.isFinished { BuildScreen.result(build).forEach(Output.line) }
        }
    }

    struct Cancel: BuildAction {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued or running build.")
        static let action = "cancel"

        @OptionGroup var options: ClientOptions
        @Argument(help: "The build's id.") var id: UUID

        func summary(of build: BuildRecord) -> String { "\(build.buildNumber) \(Output.paint(build.status))" }
    }

    struct Retry: BuildAction {
        static let configuration = CommandConfiguration(abstract: "Build a finished build's inputs again, as a new build.")
        static let action = "retry"

        @OptionGroup var options: ClientOptions
        @Argument(help: "The build's id.") var id: UUID

        func summary(of build: BuildRecord) -> String {
            "\(build.buildNumber) queued: \(build.id.lowercased)  (retry of \(id.lowercased))"
        }
    }
}

/// `cancel` and `retry`: a POST to the build's action, answered with a build.
protocol BuildAction: ClientCommand {
    static var action: String { get }
    var id: UUID { get }
    func summary(of build: BuildRecord) -> String
}

extension BuildAction {
    func perform(on farm: FarmClient) async throws {
        let build: BuildRecord = try await farm.send(.POST, "/builds/\(id.lowercased)/\(Self.action)", [String: String]())
        if options.json { return try Output.json(build) }
        Output.line(summary(of: build))
    }
}

/// `kfarm logs`: a build's log, whole or followed live.
struct Logs: ClientCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a build's log.",
        discussion: """
            With --follow, prints lines as the worker sends them until the attempt ends; a dropped \
            connection is resumed after the last line printed, so none is lost or repeated.

            Example: kfarm logs 2f1c… --follow
            """)

    @OptionGroup var options: ClientOptions
    @Argument(help: "The build's id.") var id: UUID
    @Flag(help: "Keep printing lines until the attempt ends.") var follow = false
    @Option(help: "The attempt (default: the current one).") var attempt: Int?

    private struct LogPage: Decodable {
        var lines: [LogLine]
    }

    func perform(on farm: FarmClient) async throws {
        let show: (LogLine) -> Void = { line in
            if options.json { try? Output.json(line) } else { Output.line(Output.printable(line.text)) }
        }
        if follow {
            var stream = LogFollow(farm: farm, build: id, attempt: attempt)
            return try await stream.run(show) { attempt in
                if !options.json { Output.line("--- attempt \(attempt) (the build was retried) ---") }
            }
        }
        var after = 0
        while true {
            let query = "after=\(after)&limit=5000" + (attempt.map { "&attempt=\($0)" } ?? "")
            let page: LogPage = try await farm.get("/builds/\(id.lowercased)/logs?\(query)")
            guard let last = page.lines.last else { return }
            if options.json {
                page.lines.forEach(show)
            } else {
                Output.line(page.lines.map { Output.printable($0.text) }.joined(separator: "\n"))
            }
            after = last.number
        }
    }
}

extension BuildStatus: ExpressibleByArgument {}
