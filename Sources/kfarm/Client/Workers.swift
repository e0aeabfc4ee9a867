import ArgumentParser
import FarmMachine
import FarmModel

/// `kfarm workers`: who builds, for which architectures, and whether they are at it.
struct Workers: ClientCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the farm's build workers.",
        discussion: """
            A worker is idle, busy (holding a build) or offline (not heard from for 90 s). \
            BUILDING shows the builds it holds, with their stage and progress, for the projects you belong to \
            (a worker busy with another project's build shows none).
            """)

    @OptionGroup var options: ClientOptions
    @OptionGroup var pages: PageOptions

    func perform(on farm: FarmClient) async throws {
        let listing: Listing<FarmModel.Worker> = try await farm.get("/workers" + pages.query.text)
        if options.json { return try Output.json(listing) }
        listing.show(["NAME", "STATE", "COMPILERS", "CORES", "LAST HEARD", "BUILDING"], noun: "workers") { worker in
            [worker.name, worker.state.rawValue,
             worker.toolchains.map { "\($0.architecture.rawValue):\($0.compiler)" }.joined(separator: " "),
             String(worker.cores), worker.lastHeartbeatAt.formatted(.iso8601),
             worker.currentBuilds.map { "\($0.buildNumber) \($0.currentStage?.rawValue ?? "starting") \($0.progress)%" }
                .joined(separator: ", ")]
        }
    }
}
