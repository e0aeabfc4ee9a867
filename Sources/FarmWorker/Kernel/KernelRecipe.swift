import FarmMachine
import FarmModel
import Foundation

/// Builds a real Linux kernel out of tree (`make O=`) from the source cache
/// (Debian's source package, or the configuration's git source):
/// the configuration's base (tinyconfig, defconfig or its stored .config)
/// plus the boot fragment (`workers/kernel/boot.config` and the
/// architecture's `bootConfig`), the configuration's modules and the build
/// options, merged and completed by `olddefconfig`; what the requested
/// symbols depend on is enabled round by round (`KconfigSettling`), then
/// verified: a required symbol Kconfig still dropped fails the build in
/// `initialization`, naming the symbol and its unmet dependencies; an
/// optional one is a warning. Modules given by name only are found in the
/// series' module catalog, read from the tree. The testing stage boots the
/// image under QEMU and loads the requested modules (`BootTest`).
public struct KernelRecipe: BuildRecipe {
    public let sources: DebianKernelSource
    /// Nil: this worker builds no kernels from git.
    public let git: GitKernelSource?
    /// `workers/kernel`: boot.config, the boot test's init.c and hello module.
    public let data: URL
    /// zstd's level for the artifact tarball.
    public let compressionLevel: Int32
    let indexes = KernelTreeIndexes()
    /// Written into the build's output by `initialization`, read for the outcome and the metadata.
    static let findingsFile = "kfarm-findings.json"

    public init(sources: DebianKernelSource, git: GitKernelSource? = nil, data: URL,
                compressionLevel: Int32 = KernelPackage.defaultLevel) {
        self.sources = sources
        self.git = git
        self.data = data
        self.compressionLevel = compressionLevel
    }

    var bootConfig: URL { data.appendingPathComponent("boot.config") }

    public func checkout(_ plan: BuildPlan, log: @escaping @Sendable ([String]) -> Void) async throws -> CheckedOutSource? {
        let gitSources = { () throws -> GitKernelSource in
            guard let git else { throw CheckFailed("this worker fetches nothing from git (kfarm worker --git-allow)") }
            return git
        }
        var checkedOut = if let source = plan.source {
            try await gitSources().checkout(source, log: log)
        } else {
            try await sources.checkout(plan.baseVersion, log: log)
        }
        for module in plan.externalModules {
            log(["external module \(module.name):"])
            let tree = try await gitSources().checkout(module.source, log: log)
            guard let source = tree.git else { continue }
            checkedOut.externalModules.append(.init(name: module.name, tree: tree.tree, source: source))
        }
        return checkedOut
    }

    public var kernelSeries: [String]? { sources.series }

    public var dataDirectories: [URL] { [data] }

    public func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep] {
        let spec = workspace.toolchain.target
        let output = workspace.output
        let loadable = plan.modules.contains { !$0.isBuiltin }
        switch stage {
        case .initialization:
            let fragmentFile = output.appendingPathComponent("kfarm.config")
            let settling = KconfigSettling()
            let merge: [BuildStep] = [
                .run(Command(workspace.source.appendingPathComponent("scripts/kconfig/merge_config.sh").path,
                             ["-m", "-O", output.path, output.appendingPathComponent(".config").path, fragmentFile.path],
                             environment: workspace.environment)),
                .run(workspace.make(["olddefconfig"])),
            ]
            return baseSteps(plan, workspace) + [
                .check("configuration fragment from the boot symbols, modules and options") {
                    let (fragment, warnings) = try fragment(plan, build, workspace)
                    settling.start(fragment, warnings: warnings)
                    try fragment.text.write(to: fragmentFile, atomically: true, encoding: .utf8)
                },
            ] + merge + [
                .repeating("enable what the requested symbols depend on, as Kconfig's conditions say") {
                    let added = settling.nextRound(try finalConfig(workspace), resolver: resolver(workspace))
                    guard !added.isEmpty else { return [] }
                    try settling.fragment.text.write(to: fragmentFile, atomically: true, encoding: .utf8)
                    return [.note(added.map { "Kconfig dependency: enabling \($0)" })] + merge
                },
                .check("every required symbol kept its value through olddefconfig") {
                    let findings = try settling.verify(try finalConfig(workspace), resolver: resolver(workspace))
                    try JSONEncoder().encode(findings).write(to: output.appendingPathComponent(Self.findingsFile), options: .atomic)
                },
            ]
        case .compiling_core:
            return [.run(workspace.make([spec.imageTarget], variables: Self.compilerFlags(build.options)))]
                + deviceTrees(workspace) { platforms in
                    [.note(["device-tree platforms enabled: \(platforms.joined(separator: ", "))"]), .run(workspace.make(["dtbs"]))]
                }
        case .compiling_modules:
            // The in-tree `modules` also writes the Module.symvers external modules link against.
            guard loadable || !external(workspace).isEmpty else { return [] }
            return [.run(workspace.make(["modules"], variables: Self.compilerFlags(build.options)))]
                + external(workspace).flatMap { module -> [BuildStep] in
                    let directory = externalDirectory(module, workspace)
                    let variables = Self.compilerFlags(build.options).merging(["M": directory.path]) { $1 }
                    return [.run(Command("mkdir", ["-p", directory.deletingLastPathComponent().path])),
                            .run(Command("cp", ["-R", module.tree.path, directory.path])),
                            .run(workspace.make(["modules"], variables: variables))]
                }
        case .packaging:
            let boot = workspace.staging.appendingPathComponent("boot")
            // First: its rules relink the image with the package's build number, which the tarball then ships too.
            var steps: [BuildStep] = build.options.adds(.deb) ? [.run(workspace.make(["bindeb-pkg"], variables: Self.debianPackaging))] : []
            if loadable {
                steps.append(.run(workspace.make(["modules_install"], variables: ["INSTALL_MOD_PATH": workspace.staging.path])))
            }
            // With debug symbols, the unstripped vmlinux too: what a debugger and crash tools read.
            let vmlinux = build.options.debugSymbols ? [("vmlinux", "vmlinux")] : []
            for (file, name) in [(spec.imagePath, imageName(spec)), ("System.map", "System.map"), (".config", "config")] + vmlinux {
                steps.append(.run(Command("install", ["-D", "-m", "644", output.appendingPathComponent(file).path,
                                                      boot.appendingPathComponent(name).path])))
            }
            for module in external(workspace) {
                steps.append(.run(workspace.make(["modules_install"], variables: [
                    "M": externalDirectory(module, workspace).path, "INSTALL_MOD_PATH": workspace.staging.path, "INSTALL_MOD_DIR": "extra",
                ])))
            }
            steps += deviceTrees(workspace) { _ in
                [.run(workspace.make(["dtbs_install"], variables: ["INSTALL_DTBS_PATH": boot.appendingPathComponent("dtbs").path]))]
            }
            steps += modprobeDefaults(plan, workspace)
            steps.append(.check("packed into linux-<release>-<configuration>-<arch>.tar.zst with metadata.json"
                                + (build.options.adds(.deb) ? ", the .deb files beside it" : "")) {
                try package(build, plan, workspace)
            })
            return steps
        case .testing:
            return [.check("vmlinux is a \(spec.architecture.rawValue) ELF file") {
                try ELFHeader.require(output.appendingPathComponent("vmlinux"), of: workspace, named: "vmlinux",
                                      machine: spec.elfMachine)
            }] + bootTest(plan, workspace)
        }
    }

    /// The configuration's base: Kconfig's tinyconfig or defconfig, or its stored .config completed by olddefconfig.
    func baseSteps(_ plan: BuildPlan, _ workspace: Workspace) -> [BuildStep] {
        guard plan.baseConfig == .stored else { return [.run(workspace.make([plan.baseConfig.rawValue]))] }
        let dotConfig = workspace.output.appendingPathComponent(".config")
        return [
            .check("the configuration's stored .config") {
                guard let stored = plan.storedConfig else { throw CheckFailed("baseConfig stored, but no .config came with the build") }
                // Held to today's rules again: builds queued before a rule tightened carry what it refused.
                if let problem = StoredConfigRule.rule.problem(with: stored) { throw CheckFailed("the stored .config: \(problem)") }
                try stored.write(to: dotConfig, atomically: true, encoding: .utf8)
            },
            .run(workspace.make(["olddefconfig"])),
        ]
    }

    /// `steps` for the device-tree platforms the final .config enables, when
    /// the architecture ships device trees and it enables any; none otherwise.
    private func deviceTrees(_ workspace: Workspace, _ steps: ([String]) -> [BuildStep]) -> [BuildStep] {
        let spec = workspace.toolchain.target
        guard spec.dtbs == true else { return [] }
        do {
            let platforms = indexes.deviceTrees(of: workspace.source, kernelArch: spec.kernelArch).enabled(in: try finalConfig(workspace))
            return platforms.isEmpty ? [] : steps(platforms)
        } catch {
            return [.check("the configuration's device-tree platforms") { throw error }]
        }
    }

    /// Loadable modules' parameter defaults, written into the staging tree
    /// from the sandbox: the tree is the build's, its directories may be links.
    private func modprobeDefaults(_ plan: BuildPlan, _ workspace: Workspace) -> [BuildStep] {
        let options: [String]
        do {
            options = try ModuleParameterDefaults(try modules(plan, workspace), tree: workspace.source).modprobe
        } catch {
            return [.check("loadable modules' parameter defaults") { throw error }]
        }
        guard !options.isEmpty else { return [] }
        let file = workspace.staging.appendingPathComponent(ModuleParameterDefaults.modprobeFile)
        return [.run(.writeLines(options, to: file))]
    }

    private func imageName(_ spec: ArchitectureSpec) -> String {
        URL(fileURLWithPath: spec.imagePath).lastPathComponent
    }

    private func package(_ build: BuildRecord, _ plan: BuildPlan, _ workspace: Workspace) throws {
        let release = try workspace.text(of: workspace.output.appendingPathComponent("include/config/kernel.release"))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let image = "boot/" + imageName(workspace.toolchain.target)
        let packages = build.options.adds(.deb) ? try DebianPackages.collect(from: workspace) : nil
        _ = try KernelPackage(staging: workspace.staging, destination: workspace.artifactDirectory, level: compressionLevel).write { files in
            ArtifactMetadata(
                buildId: build.id, buildNumber: build.buildNumber, configuration: build.config, configVersion: build.configVersion,
                architecture: build.architecture, toolchain: workspace.toolchain.compilerVersion,
                compiler: workspace.toolchain.banner, source: workspace.checkedOut?.git,
                externalModules: workspace.checkedOut.flatMap { $0.externalModules.isEmpty ? nil : $0.externalModules.map(\.used) },
                options: build.options,
                baseVersion: plan.baseVersion, kernelRelease: release,
                configSha256: files.first { $0.path == "boot/config" }?.sha256 ?? "",
                imageSize: files.first { $0.path == image }?.size ?? 0,
                compilerWarnings: workspace.diagnostics.warnings, compilerErrors: workspace.diagnostics.errors,
                ccache: workspace.ccacheStatsLog.flatMap { try? workspace.text(of: $0) }.map(CcacheStatsLog.parse),
                findings: findings(in: workspace), files: files, packages: packages)
        }
    }

    /// The source tarball (and its sha256), the plan and the recipe's
    /// Kconfig lines, the toolchain and the options: known before Kconfig runs.
    public func planKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String? {
        let spec = workspace.toolchain.target
        let recipeLines = try String(contentsOf: bootConfig, encoding: .utf8).components(separatedBy: "\n")
            + spec.bootConfig + spec.commandLineConfig
        return try BuildInputs(source: try sourceIdentity(workspace),
                               configuration: try BuildInputs.plan(plan, recipeLines: recipeLines),
                               toolchain: workspace.toolchain, options: build.options).key()
    }

    /// The same with the final .config (which also names the compiler's
    /// version) in place of the plan: what the image, System.map and modules are made from.
    public func inputKey(build: BuildRecord, plan: BuildPlan, in workspace: Workspace) throws -> String? {
        // The build wrote it: read as a regular file of the workspace, never through a link it left.
        let config = try FileHash.sha256(of: try workspace.openRegularFile(workspace.output.appendingPathComponent(".config")))
        return try BuildInputs(source: try sourceIdentity(workspace),
                               configuration: BuildInputs.finalConfig(sha256: config),
                               toolchain: workspace.toolchain, options: build.options).key()
    }

    private func external(_ workspace: Workspace) -> [CheckedOutSource.Module] {
        workspace.checkedOut?.externalModules ?? []
    }

    /// Where an external module is built: a copy in the output, as `make M=` writes beside its sources.
    private func externalDirectory(_ module: CheckedOutSource.Module, _ workspace: Workspace) -> URL {
        workspace.output.appendingPathComponent("kfarm-extra").appendingPathComponent(module.name)
    }

    /// The checked-out tree's identity: a build key names exactly what was compiled.
    private func sourceIdentity(_ workspace: Workspace) throws -> String {
        guard let identity = workspace.checkedOut?.fullIdentity else { throw CheckFailed("the build's source was not checked out") }
        return identity
    }

    /// What the build asks of Kconfig, resolved against the unpacked tree,
    /// and the warnings about optional modules' parameters not applied.
    func fragment(_ plan: BuildPlan, _ build: BuildRecord, _ workspace: Workspace) throws -> (KconfigFragment, [String]) {
        var fragment = KconfigFragment()
        let boot = try String(contentsOf: bootConfig, encoding: .utf8)
        try fragment.add(lines: boot.components(separatedBy: "\n"), origin: bootConfig.lastPathComponent)
        try fragment.add(lines: workspace.toolchain.target.bootConfig, origin: "\(workspace.toolchain.architecture.rawValue) bootConfig")
        let modules = try modules(plan, workspace)
        try fragment.add(modules, symbols: KbuildSymbols(tree: workspace.source))
        let spec = workspace.toolchain.target
        let defaults = try ModuleParameterDefaults(modules, tree: workspace.source)
        try fragment.add(commandLine: defaults.commandLine, architectureLines: spec.commandLineConfig, architecture: spec.architecture.rawValue)
        try fragment.add(build.options)
        if !plan.externalModules.isEmpty { try fragment.add(lines: ["CONFIG_MODULES=y"], origin: "externalModules") }
        return (fragment, defaults.warnings)
    }

    /// The plan's modules, those given by name only with their path from the series' module catalog.
    func modules(_ plan: BuildPlan, _ workspace: Workspace) throws -> [ConfigModule] {
        guard plan.modules.contains(where: { $0.path == nil }) else { return plan.modules }
        let series = KernelSeries.of(plan.baseVersion)
        let catalog = indexes.catalog(of: workspace.source, series: series)
        return try plan.modules.map { module in
            guard module.path == nil else { return module }
            guard let known = catalog.module(named: module.name) else {
                throw CheckFailed("module \(module.name) has no path, and the \(series) module catalog has no module of that name "
                                  + "(GET /kernels/\(series)/modules?q=\(module.name) lists the near ones)")
            }
            var resolved = module
            resolved.path = known.path
            return resolved
        }
    }

    /// `make bindeb-pkg`: no build-dependency check (a cross build's
    /// `:native` dependencies confuse it; the toolchain probe stands for
    /// it), gzip (xz takes minutes over the headers package on two cores).
    static let debianPackaging = ["DPKG_FLAGS": "-d", "KDEB_COMPRESS": "gzip"]

    /// `KCFLAGS=-O3` for `-O3` builds: it comes after the kernel's own `-O2`, which Kconfig chose.
    static func compilerFlags(_ options: BuildOptions) -> [String: String] {
        options.optimizationLevel == .level(3) ? ["KCFLAGS": "-O3"] : [:]
    }

    private func finalConfig(_ workspace: Workspace) throws -> DotConfig {
        DotConfig(text: try workspace.text(of: workspace.output.appendingPathComponent(".config")))
    }

    private func resolver(_ workspace: Workspace) -> KconfigDependencyResolver {
        KconfigDependencyResolver(index: indexes.kconfig(of: workspace.source, kernelArch: workspace.toolchain.target.kernelArch))
    }

    /// The boot test, loading the configuration's modules that the final .config builds as loadable.
    private func bootTest(_ plan: BuildPlan, _ workspace: Workspace) -> [BuildStep] {
        do {
            let config = try finalConfig(workspace)
            let symbols = KbuildSymbols(tree: workspace.source)
            let loadable = try modules(plan, workspace).filter { !$0.isBuiltin }.compactMap { module -> String? in
                guard let path = module.path, config.value(of: try symbols.symbol(forModuleAt: path)) == "m" else { return nil }
                return (path as NSString).lastPathComponent
            }
            let external = external(workspace).map(\.name)
            return BootTest(data: data, workspace: workspace, modules: loadable + external, helloProbe: external.isEmpty).steps
        } catch {
            return [.check("the modules the boot test loads") { throw error }]
        }
    }

    public func findings(in workspace: Workspace) -> BuildFindings? {
        (try? workspace.text(of: workspace.output.appendingPathComponent(Self.findingsFile)))
            .flatMap { try? JSONDecoder().decode(BuildFindings.self, from: Data($0.utf8)) }
    }

    /// Each series' catalog, read from its tree (unpacked first, as a build would).
    public func moduleCatalogs() async throws -> [KernelModuleCatalog] {
        var catalogs: [KernelModuleCatalog] = []
        for series in sources.series {
            let tree = try await sources.checkout("\(series).0", log: { _ in }).tree
            catalogs.append(try await BlockingWork.run("catalog") { [indexes] in indexes.catalog(of: tree, series: series) })
        }
        return catalogs
    }
}
