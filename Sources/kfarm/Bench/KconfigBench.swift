import ArgumentParser
import FarmMachine
import FarmModel
import FarmWorker
import Foundation

/// What module names and Kconfig dependencies cost: reading a series'
/// module catalog from its tree (size, seconds), publishing it to a farm,
/// and the seconds dependency resolution adds to `initialization` for the
/// contract's example (ext4 built in, btrfs loadable) — against the same
/// stage with the dependency (BLOCK) already given, alternating rounds.
struct KconfigBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kconfig", abstract: "Module catalog and Kconfig dependency resolution, timed.")

    @OptionGroup(title: "Kernels") var kernel: KernelRecipeOptions

    @Option(help: "The folder of architecture data files.")
    var architectureFiles = "workers/architectures"

    @Option(help: "The folder of toolchain data files.")
    var toolchains = "workers/toolchains"

    @Option(help: "The architecture whose initialization is timed.")
    var architecture: Architecture = .riscv64

    @Option(help: "Rounds of each initialization (alternating).")
    var rounds = 3

    @Option(help: "A farm to publish the catalog to (with KFARM_WORKER_TOKEN); none: not timed.")
    var apiURL: String?

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() async throws {
        let sources = kernel.sources
        guard let series = sources.series.first else {
            throw ValidationError("no linux-source tarball in \(kernel.kernelSources) (scripts/install-deps.sh installs it)")
        }
        let recipe = kernel.recipe()
        let tree = try await sources.checkout("\(series).0", log: { _ in }).tree

        var started = ContinuousClock.now
        let catalog = ModuleCatalogReader(tree: tree).read(series: series)
        let readSeconds = (ContinuousClock.now - started).inSeconds
        let bytes = try JSONEncoder().encode(catalog).count
        print(String(format: "catalog %@: %d modules, %d with parameters, %.1f MB JSON, read from the tree in %.1f s",
                     series, catalog.modules.count, catalog.modules.filter { !$0.parameters.isEmpty }.count,
                     Double(bytes) / 1_000_000, readSeconds))
        print(String(format: "BENCH catalog_modules=%d catalog_bytes=%d catalog_read_seconds=%.2f", catalog.modules.count, bytes, readSeconds))
        if let apiURL, let token = ProcessInfo.processInfo.environment["KFARM_WORKER_TOKEN"] {
            let client = FarmClient(baseURL: URL(string: apiURL)!, token: token)
            for attempt in ["first", "again"] {
                started = ContinuousClock.now
                let changed = try await client.publish(catalog)
                let seconds = (ContinuousClock.now - started).inSeconds
                print(String(format: "publish (%@): %.2f s, changed %@", attempt, seconds, changed ? "yes" : "no"))
                print(String(format: "BENCH catalog_publish_%@_seconds=%.3f", attempt, seconds))
            }
        }

        let targets = try ArchitectureSpec.load(from: URL(fileURLWithPath: architectureFiles)).filter { $0.architecture == architecture }
        let installed = await InstalledToolchain.probe(targets, try ToolchainSpec.load(from: URL(fileURLWithPath: toolchains)),
                                                       skipped: { _, _ in })
        guard let toolchain = InstalledToolchain.pick(nil, for: architecture, among: installed) else {
            throw ValidationError("no gcc for \(architecture.rawValue) is installed")
        }
        let contract = [
            module("ext4", builtin: true, required: true),
            module("btrfs", builtin: false, required: false, parameters: ["raid_levels": .list([.integer(0), .integer(1), .integer(10)])]),
        ]
        // The same request with the dependency given: resolution has nothing to do.
        var given = contract
        given[0].parameters = ["CONFIG_BLOCK": .bool(true)]
        var times: [String: [Duration]] = ["resolved": [], "given": []]
        for _ in 0..<rounds {
            for (name, modules) in [("resolved", contract), ("given", given)] {
                times[name]?.append(try await initialization(modules, recipe: recipe, tree: tree, toolchain: toolchain))
            }
        }
        let resolved = BenchPhases.Percentiles(times["resolved"] ?? []).p50.inSeconds
        let given_ = BenchPhases.Percentiles(times["given"] ?? []).p50.inSeconds
        print(String(format: "initialization (%@, contract example), median of %d: dependencies resolved %.1f s, given %.1f s: +%.1f s",
                     architecture.rawValue, rounds, resolved, given_, resolved - given_))
        print(String(format: "BENCH init_resolved_seconds=%.2f init_given_seconds=%.2f resolution_seconds=%.2f", resolved, given_, resolved - given_))
    }

    private func module(_ name: String, builtin: Bool, required: Bool, parameters: [String: ModuleParameter] = [:]) -> ConfigModule {
        ConfigModule(id: UUID(), name: name, path: nil, isBuiltin: builtin, isRequired: required, parameters: parameters)
    }

    /// How long one `initialization` of `modules` takes; it must complete.
    private func initialization(_ modules: [ConfigModule], recipe: KernelRecipe, tree: URL, toolchain: InstalledToolchain) async throws -> Duration {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-bench-init-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let workspace = try Workspace.prepare(at: directory, source: tree, toolchain: toolchain, jobs: 2,
                                              inputs: recipe.dataDirectories, sandbox: BuildSandbox())
        let build = BuildRecord.standalone(architecture: toolchain.architecture, options: BuildOptions())
        let started = ContinuousClock.now
        let ending = await StageRunner(recipe: SelectedStages([.initialization], of: recipe))
            .run(build, plan: BuildPlan(baseVersion: "6.1.0", modules: modules), in: workspace,
                 spool: EventSpool(buildId: build.id, attempt: 1, workerId: UUID()))
        let took = ContinuousClock.now - started
        guard case .outcome(let outcome) = ending, outcome.status == .completed else {
            throw ValidationError("initialization did not complete: \(ending)")
        }
        return took
    }
}
