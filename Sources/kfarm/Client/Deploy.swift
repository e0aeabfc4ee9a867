import ArgumentParser
import FarmMachine
import FarmModel
import Foundation
import NIOHTTP1

/// `kfarm deploy`: rolls an artifact out and, when asked, watches it settle.
struct Deploy: ClientCommand {
    static let configuration = CommandConfiguration(
        abstract: "Roll an artifact out to target systems.",
        discussion: """
            With --wait, shows each target's state until the rollout settles. Exit codes: 0 \
            completed, 1 failed or rolled back, 2 cancelled, 3 a usage or API error.

            Examples:
              kfarm deploy 5d2a… --systems 1b7e… 9c41… --max-parallel 2 --rollback --wait
              kfarm deploy 5d2a… --systems 1b7e… --at 2026-12-01T02:00:00Z
            """)

    @OptionGroup var options: ClientOptions
    @Argument(help: "The artifact's id.") var artifact: UUID
    @Option(parsing: .upToNextOption, help: "The target systems' ids.") var systems: [UUID] = []
    @Option(help: "Also every system with this label (key=value, or a key; up to 100).") var label: String?
    @Option(help: "At most this many systems install at once.") var maxParallel = 1
    @Option(help: "Halt once more than this percentage of targets has failed.") var maxFailures = 0
    @Flag(help: "Roll back the systems already done when the rollout fails.") var rollback = false
    @Flag(help: "Reboot into the new kernel (the agent's health check) after switching.") var reboot = false
    @Option(help: "When to start, ISO 8601 (default: now).") var at: String?
    @Flag(help: "Watch the rollout until it settles.") var wait = false

    func perform(on farm: FarmClient) async throws {
        var targets = systems
        if let label {
            let labelled = try await Systems.List.systems(on: farm, label: label, query: ListQuery(page: 1, limit: 100))
            targets += labelled.items.map(\.id).filter { !targets.contains($0) }
        }
        guard !targets.isEmpty else {
            throw ClientFailure.usage(label == nil ? "name at least one system with --systems or --label"
                                                   : "no system has the label \(label ?? "")")
        }
        let start = try at.map { text in
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw ClientFailure.usage("--at must be an ISO 8601 time such as 2026-12-01T02:00:00Z")
            }
            return date
        }
        let request = NewDeployment(buildArtifactId: artifact, targetSystems: targets, scheduleFor: start,
                                    options: DeploymentOptions(rollbackOnFailure: rollback, maxParallelSystems: maxParallel,
                                                               forceReboot: reboot, maxFailurePercentage: maxFailures))
        let created: DeploymentRecord = try await farm.send(.POST, "/deployments", request)
        guard wait else {
            if options.json { return try Output.json(created) }
            return Output.line("deployment \(created.id.lowercased) \(created.status.rawValue), scheduled for "
                               + created.scheduledFor.formatted(.iso8601))
        }
        let ended = try await DeploymentWatch(farm: farm, id: created.id, quiet: options.json).watch()
        if options.json {
            try Output.json(ended)
        } else if !Output.isTerminal {
            DeploymentWatch.table(ended).forEach(Output.line)  // On a terminal the live table already shows it.
        }
        switch ended.status {
        case .completed: return
        case .cancelled: throw ClientFailure.notFinished("deployment \(ended.id.lowercased) was cancelled")
        default: throw ClientFailure.buildFailed("deployment \(ended.id.lowercased) ended \(ended.status.rawValue)")
        }
    }
}

/// `kfarm deployments`: one rollout, or stopping it.
struct Deployments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and cancel deployments.", subcommands: [List.self, Show.self, Cancel.self])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List deployments, newest first.")

        @OptionGroup var options: ClientOptions
        @Option(help: "scheduled, in_progress, completed, failed, rolled_back or cancelled.") var status: String?
        @Option(help: "An artifact's id.") var artifact: String?
        @Option(help: "A system's id.") var system: String?
        @OptionGroup var pages: PageOptions

        func perform(on farm: FarmClient) async throws {
            var query = pages.query
            query.add("status", status)
            query.add("artifact", artifact)
            query.add("system", system)
            let listing: Listing<DeploymentRecord> = try await farm.get("/deployments" + query.text)
            if options.json { return try Output.json(listing) }
            listing.show(["ID", "STATUS", "ARTIFACT", "TARGETS", "SCHEDULED"], noun: "deployments") { deployment in
                [deployment.id.lowercased, deployment.status.rawValue, deployment.buildArtifact.name,
                 String(deployment.targetSystems.count), deployment.scheduledFor.formatted(.iso8601)]
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a deployment and each target's state.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The deployment's id.") var id: UUID

        func perform(on farm: FarmClient) async throws {
            let deployment: DeploymentRecord = try await farm.get("/deployments/\(id.lowercased)")
            if options.json { return try Output.json(deployment) }
            DeploymentWatch.table(deployment).forEach(Output.line)
        }
    }

    struct Cancel: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a scheduled or running deployment.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The deployment's id.") var id: UUID

        func perform(on farm: FarmClient) async throws {
            let deployment: DeploymentRecord = try await farm.send(.POST, "/deployments/\(id.lowercased)/cancel",
                                                                   [String: String]())
            if options.json { return try Output.json(deployment) }
            Output.line("deployment \(deployment.id.lowercased) \(deployment.status.rawValue)")
        }
    }
}

/// Watches a deployment until it settles: on a terminal a table of targets
/// redrawn in place, piped one line per target change.
struct DeploymentWatch {
    let farm: FarmClient
    let id: UUID
    var quiet = false
    var pollInterval: Duration = .milliseconds(500)

    func watch() async throws -> DeploymentRecord {
        var screen = LiveScreen()
        var seen: [UUID: DeploymentTargetStatus] = [:]
        var patience = Patience()
        while true {
            let deployment: DeploymentRecord = try await patience.retrying("following the deployment") {
                try await farm.get("/deployments/\(id.lowercased)")
            }
            if Output.isTerminal && !quiet {
                screen.draw(Self.table(deployment))
            } else if !quiet {
                for target in deployment.targetSystems where seen[target.id] != target.status {
                    Output.line("  \(target.name): \(target.status.rawValue)" + (target.result.map { " (\($0))" } ?? ""))
                    seen[target.id] = target.status
                }
            }
            if !deployment.status.isActive { return deployment }
            try await Task.sleep(for: pollInterval)
        }
    }

    static func table(_ deployment: DeploymentRecord) -> [String] {
        ["deployment \(deployment.id.lowercased)  \(deployment.buildArtifact.name)  \(deployment.status.rawValue)"]
            + Output.columns(["SYSTEM", "STATUS", "RESULT"], deployment.targetSystems.map { target in
                [target.name, target.status.rawValue, target.result ?? ""]
            })
    }
}
