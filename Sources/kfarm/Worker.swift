import ArgumentParser
import FarmMachine
import FarmModel
import FarmWorker
import Foundation
import Logging

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a build worker. Stops gracefully on SIGTERM or SIGINT.",
        discussion: """
            The worker offers every toolchain in --toolchains (gcc-12, gcc-11,
            clang-16) for every architecture in --architecture-files that the
            toolchain builds and whose programs are installed (one x86_64
            host with Debian's cross compilers serves x86_64, arm64 and
            riscv64). It joins the farm with a worker token (`kfarm admin
            create-token NAME --kind worker`, passed in KFARM_WORKER_TOKEN),
            consumes the build queues of its toolchains and, for the
            architectures it has a gcc for, the queue of builds that name no
            compiler (built with its newest gcc), and builds with the chosen
            recipe: real Linux kernels from the
            kernel sources in --kernel-sources (Debian's linux-source-6.1,
            unpacked once into --source-cache), or the fixture tree in
            --source-tree.

            Every command a build runs is sandboxed with bubblewrap: no
            network, the system's programs and the build's inputs read-only,
            only its own output, staging and ccache directories writable, a
            private /tmp, and none of the host's other files. A worker running
            as root drops to --sandbox-uid first. A worker that cannot make
            the sandbox does not start; --no-sandbox runs builds as the worker
            itself, for development only.
            """)

    enum Recipe: String, ExpressibleByArgument, CaseIterable {
        /// Linux kernels from the kernel source cache.
        case kernel
        /// The kernel-shaped fixture tree, compiled for real.
        case fixture
        /// Every stage passes at once: for measuring the farm itself.
        case noop
        /// Prints --flood-lines lines: for measuring log streaming.
        case logFlood = "log-flood"
    }

    @OptionGroup(title: "Farm") var farm: MachineOptions

    @Option(help: "The worker's name (default: the host name); restarts keep it.")
    var name: String?

    @Option(help: "The folder of architecture data files.")
    var architectureFiles = "workers/architectures"

    @Option(help: "The folder of toolchain data files.")
    var toolchains = "workers/toolchains"

    @Option(name: .customLong("architecture"),
            help: "Serve only this architecture (repeatable; default: every installed toolchain's).")
    var architectures: [Architecture] = []

    @Option(help: "The source tree --recipe fixture compiles.")
    var sourceTree = "fixtures/kernel-tree"

    @OptionGroup(title: "Kernels") var kernel: KernelRecipeOptions

    @Option(help: "Where builds run (default: /tmp/kfarm-worker-NAME).")
    var workDir: String?

    @Option(help: "Builds run at once.")
    var builds = 1

    @Option(help: "make -j for each build (default: the number of cores).")
    var makeJobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "What builds run: \(Recipe.allCases.map(\.rawValue).joined(separator: ", ")).")
    var recipe = Recipe.kernel

    @Option(help: "Seconds each build holds its compiling_core stage with --recipe noop (for failure drills: builds in a worker's hands).")
    var holdSeconds = 0

    @Option(help: "Lines each build prints with --recipe log-flood.")
    var floodLines = 100_000

    @Option(help: "zstd level of artifact tarballs (1-19; compressed by one thread per core).")
    var zstdLevel = Int(KernelPackage.defaultLevel)

    @Flag(inversion: .prefixedNo,
          help: "Compile through ccache when it is installed (CCACHE_BASEDIR=/ makes builds in different workspaces share hits).")
    var ccache = true

    @Flag(help: "Keep each attempt's workspace after the build.")
    var keepWorkspaces = false

    @Option(help: "Seconds between lease renewals of a running build (the API grants 60).")
    var heartbeatSeconds = 20

    @Option(help: "The unprivileged uid sandboxed builds run as when the worker is root (default: nobody).")
    var sandboxUid: UInt32 = 65534

    @Option(help: "The gid sandboxed builds run as when the worker is root (default: nogroup).")
    var sandboxGid: UInt32 = 65534

    @Flag(help: "Run builds unsandboxed, as the worker itself, with its files, token and network in reach. Development only.")
    var noSandbox = false

    func validate() throws {
        guard builds >= 1, makeJobs >= 1 else { throw ValidationError("--builds and --make-jobs must be at least 1") }
        guard (1...50).contains(heartbeatSeconds) else { throw ValidationError("--heartbeat-seconds must be 1 to 50") }
        guard holdSeconds >= 0 else { throw ValidationError("--hold-seconds must not be negative") }
        guard floodLines >= 1 else { throw ValidationError("--flood-lines must be at least 1") }
        guard (1...19).contains(zstdLevel) else { throw ValidationError("--zstd-level must be 1 to 19") }
    }

    private var buildRecipe: any BuildRecipe {
        switch recipe {
        case .kernel:
            kernel.recipe(compressionLevel: Int32(zstdLevel))
        case .fixture: FixtureRecipe()
        case .noop: NoopRecipe(holdSeconds: holdSeconds)
        case .logFlood: LogFloodRecipe(lines: floodLines)
        }
    }

    /// `--ccache` and a ccache on the PATH.
    private var ccacheInstalled: Bool {
        ccache && Command.isInstalled("ccache")
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let connection = try farm.connection(tokenVariable: "KFARM_WORKER_TOKEN", kind: .worker)
        let name = name ?? ProcessInfo.processInfo.hostName
        let settings = WorkerSettings(
            name: name, apiURL: connection.api, token: connection.token, broker: connection.broker,
            architectureFiles: URL(fileURLWithPath: architectureFiles), toolchainFiles: URL(fileURLWithPath: toolchains),
            architectures: architectures.isEmpty ? nil : Set(architectures),
            sourceTree: URL(fileURLWithPath: sourceTree),
            workDirectory: URL(fileURLWithPath: workDir ?? "/tmp/kfarm-worker-\(name)"), concurrentBuilds: builds,
            makeJobs: makeJobs, recipe: buildRecipe, keepWorkspaces: keepWorkspaces,
            heartbeatInterval: .seconds(heartbeatSeconds),
            buildEnvironment: ccacheInstalled ? ["CCACHE_BASEDIR": environment["CCACHE_BASEDIR"] ?? "/"] : [:],
            compilerLauncher: ccacheInstalled ? "ccache" : nil,
            sandbox: noSandbox ? nil : BuildSandbox(uid: sandboxUid, gid: sandboxGid))
        let logger = farm.log.logger("kfarm.worker")
        let worker = BuildWorker(settings: settings, logger: logger)
        try await MachineService.run(farm, logger: logger) { try await worker.run() }
    }
}

extension Architecture: ExpressibleByArgument {}
