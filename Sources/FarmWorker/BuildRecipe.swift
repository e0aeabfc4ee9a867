import FarmModel
import Foundation

/// One step of a stage: a command, or a check the worker makes itself.
public enum BuildStep: Sendable {
    case run(Command)
    /// Fails the stage (a build failure) with the thrown error's description.
    case check(String, @Sendable () throws -> Void)
}

/// A failed check's reason.
public struct CheckFailed: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Where a build attempt runs: the source tree (read-only, out-of-tree
/// builds), its output and staging directories, the toolchain and the
/// parallelism.
public struct Workspace: Sendable {
    public var source: URL
    public var output: URL
    public var staging: URL
    public var toolchain: InstalledToolchain
    public var jobs: Int
    /// Variables for every command of the build.
    public var environment: [String: String]
    /// Runs the compiler, e.g. `ccache`; nil runs it directly.
    public var compilerLauncher: String?
    /// The compiler's warnings and errors in the build's output so far.
    public var diagnostics = CompilerDiagnostics()

    /// The attempt's directory: `output`, `staging` and `artifact` are in it.
    public var root: URL { output.deletingLastPathComponent() }
    /// Where packaging leaves the artifact to upload (`PackagedArtifact`).
    public var artifactDirectory: URL { root.appendingPathComponent("artifact") }
    /// ccache's per-build statistics log (`CCACHE_STATSLOG`), when ccache runs the compiler.
    public var ccacheStatsLog: URL? { compilerLauncher == nil ? nil : root.appendingPathComponent("ccache-stats.log") }

    /// `make -C <source> O=<output> ARCH=… CROSS_COMPILE=… [CC="ccache …gcc"] -jN <targets>`.
    public func make(_ targets: [String], variables: [String: String] = [:]) -> Command {
        var fixed = ["-C", source.path, "O=\(output.path)", "ARCH=\(toolchain.spec.kernelArch)",
                     "CROSS_COMPILE=\(toolchain.spec.crossCompile)", "-j\(jobs)"]
        if let compilerLauncher { fixed.append("CC=\(compilerLauncher) \(toolchain.spec.compilerExecutable)") }
        let extra = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var environment = environment
        if let ccacheStatsLog { environment["CCACHE_STATSLOG"] = ccacheStatsLog.path }
        return Command("make", fixed + extra + targets, environment: environment)
    }
}

/// What a build runs in each of the five stages. The fixture recipe
/// compiles the small fixture tree; the kernel recipe real Linux kernels.
/// A stage's steps are asked for when the stage starts, so they may depend
/// on what earlier stages produced.
public protocol BuildRecipe: Sendable {
    /// The tree the build compiles out of, when the recipe picks it (a
    /// kernel version from the source cache); nil builds the worker's
    /// `--source-tree`.
    func source(for plan: BuildPlan) -> URL?
    /// The kernel series the recipe builds (the worker registers them, and
    /// submits of other versions are refused); nil: any version.
    var kernelSeries: [String]? { get }
    func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep]
    /// The hash of everything the build's artifact depends on as far as it
    /// is known before anything runs: a build of the same key reuses the
    /// artifact at once. Nil: the recipe's builds are not cached.
    func planKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String?
    /// The same, asked once `initialization` has completed (e.g. with the
    /// final configuration in place of what produced it).
    func inputKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String?
}

extension BuildRecipe {
    public func source(for plan: BuildPlan) -> URL? { nil }
    public var kernelSeries: [String]? { nil }
    public func planKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String? { nil }
    public func inputKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String? { nil }
}
