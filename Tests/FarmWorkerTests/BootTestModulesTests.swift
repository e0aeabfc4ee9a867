@testable import FarmMachine
import FarmModel
@testable import FarmWorker
import Foundation
import FarmTestSupport
import Testing

/// Which modules the boot test loads, and in what order, from the
/// `modules.dep` the build wrote: dependencies first, and nothing outside
/// the installed tree, whatever the file says.
@Suite struct BootTestModulesTests {
    func bootTest(modulesDep: String, modules: [String]) throws -> (BootTest, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-boot-modules-\(UUID())")
        let toolchain = try MachineData.toolchain(.x86_64)
        let workspace = try Workspace.prepare(at: directory, source: directory, toolchain: toolchain, jobs: 1, sandbox: nil)
        let release = workspace.output.appendingPathComponent("include/config/kernel.release")
        let installed = workspace.staging.appendingPathComponent("lib/modules/6.1.0")
        for folder in [release.deletingLastPathComponent(), installed] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try "6.1.0\n".write(to: release, atomically: true, encoding: .utf8)
        try modulesDep.write(to: installed.appendingPathComponent("modules.dep"), atomically: true, encoding: .utf8)
        return (BootTest(data: directory, workspace: workspace, modules: modules), directory)
    }

    @Test func dependenciesLoadFirstOnceEach() throws {
        let (test, directory) = try bootTest(modulesDep: """
            kernel/fs/btrfs/btrfs.ko: kernel/lib/raid6/raid6_pq.ko kernel/lib/libcrc32c.ko
            kernel/lib/raid6/raid6_pq.ko:
            kernel/lib/libcrc32c.ko:
            kernel/lib/crc-ccitt.ko:
            """, modules: ["btrfs", "crc_ccitt", "libcrc32c"])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try test.loadOrder().map(\.lastPathComponent) == ["raid6_pq.ko", "libcrc32c.ko", "btrfs.ko", "crc-ccitt.ko"])
    }

    @Test(arguments: ["kernel/fs/x/x.ko: ../../../../etc/shadow.ko\n", "/etc/x.ko:\n", "kernel/x.ko: kernel/y.ko\\nfile /z\n"])
    func aModulesDepThatLeavesTheTreeIsRefused(modulesDep: String) throws {
        let (test, directory) = try bootTest(modulesDep: modulesDep, modules: ["x"])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: CheckFailed.self) { try test.loadOrder() }
    }

    @Test func aModuleThatWasNotInstalledFailsNamingIt() throws {
        let (test, directory) = try bootTest(modulesDep: "kernel/lib/crc-ccitt.ko:\n", modules: ["btrfs"])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: CheckFailed.self) { try test.loadOrder() }
    }
}
