import FarmMachine
import FarmModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One step of a stage: a command, or a check the worker makes itself.
public enum BuildStep: Sendable {
    /// Runs in the build's sandbox.
    case run(Command)
    /// Fails the stage (a build failure) with the thrown error's description.
    /// Runs in the worker's process: what it reads of the workspace goes
    /// through `Workspace.text(of:)`, and it writes only by replacing files
    /// in directories the worker made.
    case check(String, @Sendable () throws -> Void)
    /// Lines for the build's log: what the worker decided and why.
    case note([String])
    /// Asked for steps, which run, then asked again, until it answers none:
    /// for work whose next step depends on what the last one produced
    /// (Kconfig's answer to the symbols enabled so far). Runs in the worker's
    /// process like a check, and bounds its own rounds.
    case repeating(String, @Sendable () throws -> [BuildStep])
}

/// A failed check's reason.
public struct CheckFailed: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Where a build attempt runs: the source tree (read-only, out-of-tree
/// builds) and the recipe's other inputs, the attempt's directory `root`
/// (`work/out` the object tree, `staging`, `artifact`), the toolchain and
/// the parallelism, and the sandbox its commands run in.
public struct Workspace: Sendable {
    public var root: URL
    public var source: URL
    /// What `source` is, when the recipe checked it out (a kernel tree); nil: the worker's `--source-tree`.
    public var checkedOut: CheckedOutSource?
    public var toolchain: InstalledToolchain
    public var jobs: Int
    /// Variables for every command of the build.
    public var environment: [String: String]
    /// Runs the compiler, e.g. `ccache`; nil runs it directly.
    public var compilerLauncher: String?
    /// ccache's directory for this build (`CCACHE_DIR`), writable in the sandbox.
    public var ccacheDirectory: URL?
    /// Other directories the recipe's commands read (its data), read-only in the sandbox.
    public var inputs: [URL]
    /// Nil only with `kfarm worker --no-sandbox` (development).
    public var sandbox: BuildSandbox?
    /// The compiler's warnings and errors in the build's output so far.
    public var diagnostics = CompilerDiagnostics()

    public init(root: URL, source: URL, checkedOut: CheckedOutSource? = nil, toolchain: InstalledToolchain,
                jobs: Int, environment: [String: String] = [:], compilerLauncher: String? = nil, ccacheDirectory: URL? = nil,
                inputs: [URL] = [], sandbox: BuildSandbox?) {
        self.root = root
        self.source = source
        self.checkedOut = checkedOut
        self.toolchain = toolchain
        self.jobs = jobs
        self.environment = environment
        self.compilerLauncher = compilerLauncher
        self.ccacheDirectory = ccacheDirectory
        self.inputs = inputs
        self.sandbox = sandbox
    }

    /// A workspace in `root`: its `work/` (with `work/out/`) and `staging/`
    /// (and the ccache directory) made writable for the sandbox's account,
    /// which cannot replace them (`root` is the caller's).
    public static func prepare(at root: URL, source: URL, checkedOut: CheckedOutSource? = nil, toolchain: InstalledToolchain,
                               jobs: Int, environment: [String: String] = [:], compilerLauncher: String? = nil,
                               ccacheDirectory: URL? = nil, inputs: [URL] = [], sandbox: BuildSandbox?) throws -> Workspace {
        let workspace = Workspace(root: root, source: source, checkedOut: checkedOut, toolchain: toolchain, jobs: jobs,
                                  environment: environment, compilerLauncher: compilerLauncher, ccacheDirectory: ccacheDirectory,
                                  inputs: inputs, sandbox: sandbox)
        for directory in workspace.writable {
            try BuildSandbox.makeWritable(directory, for: sandbox)
        }
        return workspace
    }

    /// The build's own directory: its object tree `out/`, and beside it
    /// what `make bindeb-pkg` leaves in the object tree's parent (the packages).
    public var work: URL { root.appendingPathComponent("work") }
    /// The object tree (`make O=`).
    public var output: URL { work.appendingPathComponent("out") }
    /// What the artifact's tarball is packed from.
    public var staging: URL { root.appendingPathComponent("staging") }
    /// Where packaging leaves the artifact to upload (`PackagedArtifact`); outside the sandbox.
    public var artifactDirectory: URL { root.appendingPathComponent("artifact") }
    /// What the sandbox lets the build write. `output` is mounted apart
    /// inside `work`: a mount point cannot be renamed or removed, so a build
    /// cannot put a link to elsewhere in its place for the worker's own
    /// writes into the object tree (kfarm.config, the findings) to follow.
    private var writable: [URL] { [work, output, staging] + (ccacheDirectory.map { [$0] } ?? []) }
    /// ccache's per-build statistics log (`CCACHE_STATSLOG`), when ccache runs the compiler.
    public var ccacheStatsLog: URL? { compilerLauncher == nil ? nil : output.appendingPathComponent("kfarm-ccache-stats.log") }

    /// `make -C <source> O=<output> ARCH=… -jN CC="[ccache ]<compiler>" <the toolchain's variables> <targets>`,
    /// e.g. `CROSS_COMPILE=aarch64-linux-gnu-` for gcc, `LLVM=-16` for clang.
    public func make(_ targets: [String], variables: [String: String] = [:]) -> Command {
        let compiler = compilerLauncher.map { "\($0) \(toolchain.compilerExecutable)" } ?? toolchain.compilerExecutable
        let fixed = ["-C", source.path, "O=\(output.path)", "ARCH=\(toolchain.target.kernelArch)", "-j\(jobs)", "CC=\(compiler)"]
        let extra = toolchain.makeVariables.merging(variables) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var environment = environment
        if let ccacheStatsLog { environment["CCACHE_STATSLOG"] = ccacheStatsLog.path }
        if let ccacheDirectory { environment["CCACHE_DIR"] = ccacheDirectory.path }
        return Command("make", fixed + extra + targets, environment: environment)
    }

    /// `command` as the build runs it: in the sandbox, which shows the
    /// source and inputs read-only and only work, staging and the ccache
    /// directory writable.
    public func sandboxed(_ command: Command) throws -> Command {
        guard let sandbox else { return command }
        return try sandbox.wrap(command, readOnly: [source] + inputs, writable: writable, workingDirectory: output)
    }

    /// The most `text(of:)` reads: a build's .config or console is far smaller.
    public static let textLimit = 16 << 20

    /// At most `limit` bytes of a regular file the build wrote, read by the
    /// worker: refused when it is not a regular file (a FIFO, a device) or
    /// it, or a directory on its way, is a link leading out of the attempt's
    /// directory. A build must not make the worker read host files for it.
    public func contents(of file: URL, upTo limit: Int) throws -> Data {
        try openRegularFile(file).read(upToCount: limit) ?? Data()
    }

    /// A regular file the build wrote, opened for the worker to read, as `contents(of:upTo:)` reads it.
    public func openRegularFile(_ file: URL) throws -> FileHandle {
        let refused = CheckFailed("\(file.lastPathComponent) is not a regular file inside the build's workspace")
        guard let rootPath = Self.resolved(root), let directory = Self.resolved(file.deletingLastPathComponent()),
              directory == rootPath || directory.hasPrefix(rootPath + "/") else { throw refused }
        let descriptor = open(directory + "/" + file.lastPathComponent, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw refused }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { throw refused }
        return handle
    }

    /// A text file the build wrote (`contents(of:upTo:)`, at most `textLimit` bytes).
    public func text(of file: URL) throws -> String {
        String(decoding: try contents(of: file, upTo: Self.textLimit), as: UTF8.self)
    }

    private static func resolved(_ url: URL) -> String? {
        guard let path = realpath(url.path, nil) else { return nil }
        defer { free(path) }
        return String(cString: path)
    }
}

/// What a build runs in each of the five stages. The fixture recipe
/// compiles the small fixture tree; the kernel recipe real Linux kernels.
/// A stage's steps are asked for when the stage starts, so they may depend
/// on what earlier stages produced.
public protocol BuildRecipe: Sendable {
    /// Readies the tree the build compiles out of, when the recipe picks it
    /// (a kernel version's source package, unpacked once; a git commit,
    /// fetched and exported once), telling `log` what it does; nil builds
    /// the worker's `--source-tree`. Runs when the attempt starts, before
    /// the build's keys are asked for: they name what it returns.
    func checkout(_ plan: BuildPlan, log: @escaping @Sendable ([String]) -> Void) async throws -> CheckedOutSource?
    /// The kernel series the recipe builds (the worker registers them, and
    /// submits of other versions are refused); nil: any version.
    var kernelSeries: [String]? { get }
    func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep]
    /// Directories of the recipe's own data its commands read (shown read-only in the sandbox).
    var dataDirectories: [URL] { get }
    /// The hash of everything the build's artifact depends on as far as it
    /// is known before anything runs: a build of the same key reuses the
    /// artifact at once. Nil: the recipe's builds are not cached.
    func planKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String?
    /// The same, asked once `initialization` has completed (e.g. with the
    /// final configuration in place of what produced it).
    func inputKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String?
    /// What the attempt enabled on its own and warned about, reported with its outcome; nil: nothing.
    func findings(in workspace: Workspace) -> BuildFindings?
    /// The module catalogs of the series the recipe builds, published when the worker joins.
    func moduleCatalogs() async throws -> [KernelModuleCatalog]
}

extension BuildRecipe {
    public func checkout(_ plan: BuildPlan, log: @escaping @Sendable ([String]) -> Void) async throws -> CheckedOutSource? { nil }
    public var kernelSeries: [String]? { nil }
    public var dataDirectories: [URL] { [] }
    public func planKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String? { nil }
    public func inputKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String? { nil }
    public func findings(in workspace: Workspace) -> BuildFindings? { nil }
    public func moduleCatalogs() async throws -> [KernelModuleCatalog] { [] }
}
