import FarmModel
@testable import FarmWorker
import Foundation
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
        let stats = try #require(CcacheStatsLog.read(log))
        #expect(stats.hits == 3 && stats.misses == 1 && stats.hitRate == 0.75)
        #expect(CcacheStatsLog.read(log.appendingPathExtension("missing")) == nil)
    }

    @Test func theBuildCacheKeyChangesWithEveryInput() throws {
        let base = BuildInputs(source: "linux-source-6.1.tar.xz sha256:aa", configSha256: "c1", architecture: .arm64,
                               toolchain: "gcc-12.2.0", imageTarget: "Image", debugSymbols: false, optimizationLevel: nil)
        #expect(try base.key() == base.key())
        #expect(ContentHash.isValid(try base.key()))
        let variants = [
            BuildInputs(source: "linux-source-6.1.tar.xz sha256:ab", configSha256: "c1", architecture: .arm64,
                        toolchain: "gcc-12.2.0", imageTarget: "Image", debugSymbols: false, optimizationLevel: nil),
            BuildInputs(source: base.source, configSha256: "c2", architecture: .arm64, toolchain: "gcc-12.2.0",
                        imageTarget: "Image", debugSymbols: false, optimizationLevel: nil),
            BuildInputs(source: base.source, configSha256: "c1", architecture: .riscv64, toolchain: "gcc-12.2.0",
                        imageTarget: "Image", debugSymbols: false, optimizationLevel: nil),
            BuildInputs(source: base.source, configSha256: "c1", architecture: .arm64, toolchain: "gcc-13.1.0",
                        imageTarget: "Image", debugSymbols: false, optimizationLevel: nil),
            BuildInputs(source: base.source, configSha256: "c1", architecture: .arm64, toolchain: "gcc-12.2.0",
                        imageTarget: "Image", debugSymbols: true, optimizationLevel: nil),
            BuildInputs(source: base.source, configSha256: "c1", architecture: .arm64, toolchain: "gcc-12.2.0",
                        imageTarget: "Image", debugSymbols: false, optimizationLevel: 2),
        ]
        let keys = try Set(([base] + variants).map { try $0.key() })
        #expect(keys.count == variants.count + 1)
    }
}
