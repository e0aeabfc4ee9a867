@testable import FarmMachine
import FarmModel
@testable import FarmWorker
import Foundation
import FarmTestSupport
import Testing

/// What the worker measures while a build runs: progress from kbuild's
/// steps, compiler diagnostics, ccache's hits, and the build cache's key.
@Suite struct BuildMeasurementTests {
    private func progress(of spool: EventSpool) -> [Int] {
        (spool.take()?.events ?? []).compactMap { event in
            if case .progress(let percent) = event { return percent }
            return nil
        }
    }

    private func steps(_ count: Int) -> [String] {
        (0..<count).map { "  CC      kernel/file\($0).o" }
    }

    @Test func progressFollowsKbuildStepsAgainstThePreviousBuildOfTheConfiguration() throws {
        let history = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-progress-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: history) }

        // No history yet: each stage's share when it ends, nothing in between.
        let first = EventSpool(buildId: UUID(), attempt: 1, workerId: UUID())
        let learning = ProgressMeter(spool: first, history: history)
        learning.begin(.initialization)
        learning.observe(["  HOSTCC  scripts/basic/fixdep"])
        learning.end(.initialization)
        learning.begin(.compiling_core)
        learning.observe(steps(200) + ["make[1]: Entering directory", "kernel/fork.c:1:1: warning: unused"])
        learning.end(.compiling_core)
        #expect(progress(of: first) == [5, 65])
        learning.save()

        // The next build of the configuration: 100 of 200 steps is half the stage's share.
        let second = EventSpool(buildId: UUID(), attempt: 1, workerId: UUID())
        let meter = ProgressMeter(spool: second, history: history)
        meter.begin(.initialization)
        meter.end(.initialization)
        meter.begin(.compiling_core)
        meter.observe(steps(100))
        meter.observe(["not a step", "  CCwithout space"])
        meter.observe(steps(300))  // more than last time: the stage holds below its end
        meter.end(.compiling_core)
        meter.begin(.compiling_modules)
        meter.end(.compiling_modules)
        #expect(progress(of: second) == [5, 35, 64, 65, 80])
    }

    @Test func compilerDiagnosticsAndCcacheHitsAreCounted() throws {
        let diagnostics = CompilerDiagnostics()
        diagnostics.observe(["fs/a.c:1:2: warning: unused variable ‘x’", "fs/a.c:3:4: error: expected ‘;’",
                             "fs/b.c:1:1: fatal error: missing.h: No such file", "  CC      fs/a.o", "warning: not gcc's form"])
        #expect(diagnostics.warnings == 1 && diagnostics.errors == 2)

        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-ccache-\(UUID()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        try """
            # a.c
            cache_miss
            direct_cache_miss
            # a.c
            direct_cache_hit
            local_storage_hit
            # b.c
            direct_cache_miss
            preprocessed_cache_hit
            # c.c
            direct_cache_hit

            """.write(to: log, atomically: true, encoding: .utf8)
        let stats = CcacheStatsLog.parse(try String(contentsOf: log, encoding: .utf8))
        #expect(stats.hits == 3 && stats.misses == 1 && stats.hitRate == 0.75)
    }

    @Test func theBuildCacheKeysChangeWithEveryInput() throws {
        let arm = try MachineData.toolchain(.arm64)
        let riscv = try MachineData.toolchain(.riscv64)
        var newer = arm
        newer.compilerVersion = "gcc-13.1.0"
        newer.banner = "gcc-13.1.0"
        let module = ConfigModule(id: UUID(), name: "dummy", path: "drivers/net/dummy", isBuiltin: false, isRequired: true,
                                  parameters: ["numdummies": .integer(2)])
        let plan = BuildPlan(baseVersion: "6.1.0", modules: [module])
        let planConfig = try BuildInputs.plan(plan, recipeLines: ["CONFIG_PRINTK=y"])
        func key(source: String = "linux-source-6.1.tar.xz sha256:aa", configuration: String? = nil,
                 toolchain: InstalledToolchain? = nil, options: BuildOptions = BuildOptions()) throws -> String {
            try BuildInputs(source: source, configuration: configuration ?? planConfig, toolchain: toolchain ?? arm,
                            options: options).key()
        }
        #expect(try key() == key())
        #expect(ContentHash.isValid(try key()))
        // The same modules in another version (other ids) are the same plan.
        var sameModules = module
        sameModules.id = UUID()
        #expect(try BuildInputs.plan(BuildPlan(baseVersion: "6.1.0", modules: [sameModules]), recipeLines: ["CONFIG_PRINTK=y"])
                == planConfig)
        var otherParameter = module
        otherParameter.parameters = ["numdummies": .integer(3)]
        let keys = try [
            key(),
            key(source: "linux-source-6.1.tar.xz sha256:ab"),
            key(configuration: BuildInputs.plan(BuildPlan(baseVersion: "6.1.0", modules: [otherParameter]),
                                                recipeLines: ["CONFIG_PRINTK=y"])),
            key(configuration: BuildInputs.plan(plan, recipeLines: ["CONFIG_PRINTK=y", "CONFIG_TTY=y"])),
            key(configuration: BuildInputs.finalConfig(sha256: "c1")),
            key(configuration: BuildInputs.finalConfig(sha256: "c2")),
            key(toolchain: riscv),
            key(toolchain: newer),
            key(options: BuildOptions(debugSymbols: true)),
            key(options: BuildOptions(optimizationLevel: .level(2))),
        ]
        #expect(Set(keys).count == keys.count)
        #expect(try key(options: BuildOptions(noCache: true)) == key(), "noCache is no input of the artifact")
    }
}
