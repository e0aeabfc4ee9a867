@testable import FarmMachine
import FarmModel
@testable import FarmWorker
import Foundation
import FarmTestSupport
import Testing

/// The kernel recipe's `initialization` stage for real (x86_64, the 6.1
/// tree, Kconfig, the sandbox): modules by name, dependencies enabled round
/// by round, required and optional modules that cannot be had, options.
@Suite struct KernelInitializationTests {
    struct Initialized {
        var outcome: BuildOutcome
        var config: DotConfig
        var log: [String]
    }

    static func module(_ name: String, builtin: Bool = false, required: Bool = true,
                       parameters: [String: ModuleParameter] = [:]) -> ConfigModule {
        ConfigModule(id: UUID(), name: name, path: nil, isBuiltin: builtin, isRequired: required, parameters: parameters)
    }

    func initialize(_ modules: [ConfigModule], options: BuildOptions = BuildOptions()) async throws -> Initialized {
        let tree = try await KernelConfigTests.tree()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-init-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let workspace = try Workspace.prepare(at: directory, source: tree, toolchain: try MachineData.toolchain(.x86_64), jobs: 2,
            inputs: [root.appendingPathComponent("workers/kernel")], sandbox: BuildSandbox())
        let output = workspace.output
        let kernel = KernelRecipe(sources: DebianKernelSource(cache: URL(fileURLWithPath: "/tmp/kfarm-kernel-sources")),
                                  data: root.appendingPathComponent("workers/kernel"))
        let build = BuildRecord.standalone(architecture: .x86_64, options: options)
        let spool = EventSpool(buildId: build.id, attempt: 1, workerId: UUID())
        let ending = await StageRunner(recipe: SelectedStages([.initialization], of: kernel))
            .run(build, plan: BuildPlan(baseVersion: "6.1.0", modules: modules), in: workspace, spool: spool)
        guard case .outcome(let outcome) = ending else { throw CheckFailed("the stage did not end with an outcome: \(ending)") }
        var log: [String] = []
        while let batch = spool.take() {
            for case .log(_, let lines) in batch.events { log += lines }
            spool.settle(batch, confirmed: true)
        }
        let config = (try? String(contentsOf: output.appendingPathComponent(".config"), encoding: .utf8)) ?? ""
        return Initialized(outcome: outcome, config: DotConfig(text: config), log: log)
    }

    /// The contract's modules by name (ext4 built in, btrfs optional and
    /// loadable with a parameter it does not declare) and dummy, which needs
    /// two network symbols: all enabled with what they depend on, the
    /// undeclared parameter a warning.
    @Test func modulesByNameGetWhatTheyDependOn() async throws {
        let initialized = try await initialize([
            Self.module("ext4", builtin: true),
            Self.module("btrfs", required: false, parameters: ["raid_levels": .list([.integer(0), .integer(1), .integer(10)])]),
            Self.module("dummy"),
        ], options: BuildOptions(optimizationLevel: .level(3)))
        #expect(initialized.outcome.status == .completed, "\(String(describing: initialized.outcome.failure))")
        #expect(["EXT4_FS", "BTRFS_FS", "DUMMY", "BLOCK", "NETDEVICES", "NET_CORE", "CC_OPTIMIZE_FOR_PERFORMANCE"]
            .map(initialized.config.value(of:)) == ["y", "m", "m", "y", "y", "y", "y"])
        let findings = try #require(initialized.outcome.findings)
        #expect(findings.enabledDependencies.map(\.description).contains("BLOCK=y for EXT4_FS (module ext4)"))
        #expect(findings.enabledDependencies.contains { $0.symbol == "NET_CORE" && $0.neededBy == "DUMMY" })
        #expect(findings.warnings.count == 1 && findings.warnings[0].contains("parameter raid_levels"), "\(findings.warnings)")
        #expect(initialized.log.contains("Kconfig dependency: enabling BLOCK=y for EXT4_FS (module ext4)"))
    }

    /// The PL011 UART is an ARM driver: on x86_64 nothing can give it
    /// ARM_AMBA. Required, the build fails naming the chain; optional, it
    /// completes with a warning.
    @Test(arguments: [true, false])
    func aModuleOfAnotherArchitectureFailsOrWarns(required: Bool) async throws {
        let initialized = try await initialize([Self.module("amba-pl011", builtin: true, required: required)])
        let chain = "CONFIG_SERIAL_AMBA_PL011=y (module amba-pl011) was dropped by Kconfig: depends on ARM_AMBA (ARM_AMBA cannot be chosen"
        if required {
            #expect(initialized.outcome.status == .failed && initialized.outcome.failure?.kind == .build)
            #expect(initialized.outcome.failure?.reason.contains(chain) == true, "\(String(describing: initialized.outcome.failure))")
        } else {
            #expect(initialized.outcome.status == .completed)
            #expect(initialized.outcome.findings?.warnings.contains { $0.contains("optional module amba-pl011") && $0.contains("ARM_AMBA") } == true,
                    "\(String(describing: initialized.outcome.findings))")
        }
    }

    @Test func optimisationForSizeAndUnknownNames() async throws {
        let size = try await initialize([], options: BuildOptions(optimizationLevel: .size))
        #expect(size.outcome.status == .completed && size.config.value(of: "CC_OPTIMIZE_FOR_SIZE") == "y")
        #expect(KernelRecipe.compilerFlags(BuildOptions(optimizationLevel: .level(3))) == ["KCFLAGS": "-O3"])
        #expect(KernelRecipe.compilerFlags(BuildOptions(optimizationLevel: .size)).isEmpty)

        let unknown = try await initialize([Self.module("ext5", builtin: true)])
        #expect(unknown.outcome.status == .failed)
        #expect(unknown.outcome.failure?.reason.contains("the 6.1 module catalog has no module of that name") == true)
    }
}
