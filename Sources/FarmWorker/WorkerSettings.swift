import AMQP
import FarmModel
import Foundation

/// How a worker joins the farm and where it builds.
public struct WorkerSettings: Sendable {
    /// The worker's name in `GET /workers`; a restart under the same name and token is the same worker.
    public var name: String
    public var apiURL: URL
    public var token: String
    public var broker: AMQPConfiguration
    /// The folders of architecture and toolchain data files (`workers/architectures`, `workers/toolchains`).
    public var architectureFiles: URL
    public var toolchainFiles: URL
    /// Serve only these architectures (nil: every installed toolchain's).
    public var architectures: Set<Architecture>?
    /// The tree builds compile (the fixture tree for `FixtureRecipe`).
    public var sourceTree: URL
    /// Each attempt builds in `<workDirectory>/<build id>/attempt-<n>`.
    public var workDirectory: URL
    /// Builds run at once.
    public var concurrentBuilds: Int
    /// `make -j` for each build.
    public var makeJobs: Int
    /// What builds run: kernels (`KernelRecipe`, which needs to be told where its
    /// sources and data are), or a stand-in from `TestRecipes/` for tests and benchmarks.
    public var recipe: any BuildRecipe
    /// Keep each attempt's workspace after the build (otherwise removed).
    public var keepWorkspaces: Bool
    /// How often a running build's lease is renewed (the API grants 60 s).
    public var heartbeatInterval: Duration
    /// Variables set for every build command (e.g. `CCACHE_DIR`).
    public var buildEnvironment: [String: String]
    /// Runs every build's compiler, e.g. `ccache`; nil runs it directly.
    public var compilerLauncher: String?
    /// Where builds' commands run; nil (`--no-sandbox`, development only) runs them as the worker.
    public var sandbox: BuildSandbox?

    public init(name: String, apiURL: URL, token: String, broker: AMQPConfiguration, architectureFiles: URL, toolchainFiles: URL,
                architectures: Set<Architecture>? = nil, sourceTree: URL,
                workDirectory: URL, concurrentBuilds: Int = 1, makeJobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                recipe: any BuildRecipe, keepWorkspaces: Bool = false,
                heartbeatInterval: Duration = .seconds(20), buildEnvironment: [String: String] = [:],
                compilerLauncher: String? = nil, sandbox: BuildSandbox? = BuildSandbox()) {
        self.name = name
        self.apiURL = apiURL
        self.token = token
        self.broker = broker
        self.architectureFiles = architectureFiles
        self.toolchainFiles = toolchainFiles
        self.architectures = architectures
        self.sourceTree = sourceTree
        self.workDirectory = workDirectory
        self.concurrentBuilds = concurrentBuilds
        self.makeJobs = makeJobs
        self.recipe = recipe
        self.keepWorkspaces = keepWorkspaces
        self.heartbeatInterval = heartbeatInterval
        self.buildEnvironment = buildEnvironment
        self.compilerLauncher = compilerLauncher
        self.sandbox = sandbox
    }
}
