@testable import FarmMachine
import FarmModel
@testable import FarmWorker
import Foundation
import FarmTestSupport
import Testing

/// The attack of issue 14 against the real 6.1 tree, with the API's
/// validation out of the way: a .config whose `CONFIG_INITRAMFS_SOURCE`
/// names a directory of the worker's host and hides `$(shell …)`, which
/// Kconfig copies into auto.conf and make expands while building `usr/`.
/// Unsandboxed it runs the command and packs the host's files into the
/// build's initramfs; in the sandbox it does neither.
@Suite struct HostileKernelConfigTests {
    struct Outcome {
        /// The file `$(shell touch …)` names exists on the host.
        var ranCommand: Bool
        /// The host's secret is in some file the build wrote.
        var packedSecret: Bool
    }

    func attack(sandbox: BuildSandbox?) async throws -> Outcome {
        let tree = try await KernelConfigTests.tree()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-hostile-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let secretDirectory = directory.appendingPathComponent("worker-secrets")
        try FileManager.default.createDirectory(at: secretDirectory, withIntermediateDirectories: true)
        let secret = "SECRET-\(UUID())"
        try secret.write(to: secretDirectory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let marker = directory.appendingPathComponent("ran-as-the-worker")
        let workspace = try Workspace.prepare(at: directory.appendingPathComponent("attempt"), source: tree, toolchain: try MachineData.toolchain(.x86_64), jobs: 2, sandbox: sandbox)
        let output = workspace.output
        let log = LineCollector()
        func make(_ target: String) async throws -> Int32 {
            try await CommandRunner.run(workspace.sandboxed(workspace.make([target])), onLines: log.append)
        }
        #expect(try await make("tinyconfig") == 0, "\(log.lines.suffix(5))")
        let hostile = "CONFIG_BLK_DEV_INITRD=y\nCONFIG_INITRAMFS_SOURCE=\"\(secretDirectory.path) $(shell touch \(marker.path))\"\n"
        #expect(StoredConfigRule.rule.problem(with: hostile) != nil, "the API refuses this .config")
        let config = try FileHandle(forWritingTo: output.appendingPathComponent(".config"))
        try config.seekToEnd()
        try config.write(contentsOf: Data(hostile.utf8))
        try config.close()
        #expect(try await make("olddefconfig") == 0, "\(log.lines.suffix(5))")
        _ = try await make("usr/")  // fails in the sandbox: the host's directory is not there
        let written = try KernelPackage.files(under: output).contains { path in
            (try? Data(contentsOf: output.appendingPathComponent(path)))?.range(of: Data(secret.utf8)) != nil
        }
        return Outcome(ranCommand: FileManager.default.fileExists(atPath: marker.path), packedSecret: written)
    }

    @Test func theSandboxStopsAConfigThatRunsCommandsAndPacksHostFiles() async throws {
        let unconfined = try await attack(sandbox: nil)
        #expect(unconfined.ranCommand && unconfined.packedSecret, "the attack works without the sandbox")
        let sandboxed = try await attack(sandbox: BuildSandbox())
        #expect(!sandboxed.ranCommand)
        #expect(!sandboxed.packedSecret)
    }
}
