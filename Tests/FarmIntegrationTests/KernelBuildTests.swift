import FarmModel
import FarmStore
import FarmTestSupport
import FarmWorker
import Foundation
import Testing

/// Real Linux 6.1 kernels through the farm (Debian's linux-source-6.1 and
/// cross compilers): the slow end of the suite, a few minutes.
extension FarmTests {
    func kernelRecipe() -> KernelRecipe {
        KernelRecipe(sources: DebianKernelSource(cache: URL(fileURLWithPath: "/tmp/kfarm-kernel-sources")),
                     data: TestFarm.root.appendingPathComponent("workers/kernel"))
    }

    /// tinyconfig + the boot symbols + a loadable module, for each
    /// architecture: the image, System.map, .config and the module's .ko
    /// land in staging, the final .config has what was asked for, and the
    /// image boots under QEMU to the test init, which loads the seed's hello
    /// module.
    @Test(arguments: [(Architecture.riscv64, "Image", UInt16(243)), (.arm64, "Image", 183), (.x86_64, "bzImage", 62)])
    func aRealKernelWithALoadableModuleBuildsAndBoots(architecture: Architecture, image: String, machine: UInt16) async throws {
        try await TestFarm.run { farm in
            let developer = try await farm.fixtures.account()
            let project = try await farm.fixtures.project(members: [(developer, .developer)])
            let configuration = try await farm.fixtures.configuration(
                in: project, by: developer, architecture: architecture,
                modules: [ModuleSpec(name: "crc-ccitt", path: "lib/crc-ccitt", isBuiltin: false, isRequired: true)])
            let id = try await farm.submit(configuration, by: developer)
            let settings = try await farm.workerSettings([architecture], recipe: kernelRecipe())
            try await farm.withWorker(settings) {
                let build = try await farm.finished(id, within: 900)
                #expect(build.status == .completed, "\(String(describing: build.failure))")
                #expect(build.stages.map(\.status) == Array(repeating: .completed, count: 5))
            }
            let staging = settings.workDirectory.appendingPathComponent("\(id.lowercased)/attempt-1/staging")
            let module = "lib/modules/6.1.192/kernel/lib/crc-ccitt.ko"
            for file in ["boot/\(image)", "boot/System.map", "boot/config", module] {
                #expect(FileManager.default.fileExists(atPath: staging.appendingPathComponent(file).path), "\(file)")
            }
            let config = DotConfig(text: try String(contentsOf: staging.appendingPathComponent("boot/config"), encoding: .utf8))
            #expect(["CRC_CCITT", "MODULES", "PRINTK", "BLK_DEV_INITRD"].map(config.value(of:)) == ["m", "y", "y", "y"])
            #expect(try ELFHeader.read(staging.appendingPathComponent(module))?.machine == machine)
            // The artifact: uploaded, recorded with its provenance, downloadable with the sha256 it was recorded with,
            // holding the image, System.map, .config, module and metadata.json.
            let built = try #require(try await farm.store.builds.find(id: id))
            let artifactID = try #require(built.artifactId.flatMap { UUID(uuidString: $0) })
            let artifact = try #require(try await farm.store.artifacts.find(id: artifactID))
            #expect(artifact.name.hasPrefix("linux-6.1.192-") && artifact.name.hasSuffix("-\(architecture.rawValue).tar.zst"))
            #expect(artifact.build.id == id && artifact.configVersion.id == configuration.versions[0].id)
            #expect(artifact.metadata.kernelRelease == "6.1.192" && artifact.metadata.files.contains { $0.path == module })
            let download = try await farm.client.execute(uri: "/artifacts/\(artifact.id.lowercased)/download", method: .get,
                                                         headers: [.authorization: developer.authorization])
            #expect(download.status == .ok && download.headers[.eTag] == "\"\(artifact.sha256)\"")
            let archive = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-\(artifact.name)")
            try Data(buffer: download.body).write(to: archive)
            defer { try? FileManager.default.removeItem(at: archive) }
            let digest = LineCollector()
            #expect(try await CommandRunner.run(Command("sha256sum", [archive.path]), onLines: digest.append) == 0)
            #expect(digest.lines.first?.hasPrefix(artifact.sha256 + " ") == true)
            let listing = LineCollector()
            #expect(try await CommandRunner.run(Command("tar", ["--zstd", "-tf", archive.path]), onLines: listing.append) == 0)
            #expect(Set(listing.lines).isSuperset(of: ["boot/\(image)", "boot/System.map", "boot/config", module, "metadata.json"]))

            // The same configuration again: the inputs hash to the same key, and the build completes with that artifact.
            let again = try await farm.submit(configuration, by: developer)
            try await farm.withWorker(try await farm.workerSettings([architecture], recipe: kernelRecipe())) {
                let reused = try await farm.finished(again, within: 300)
                #expect(reused.status == .completed && reused.artifactId == artifact.id.lowercased)
                #expect(reused.cachedFrom == id.lowercased)
                #expect(reused.stages.map(\.status) == [.completed, .skipped, .skipped, .skipped, .skipped])
            }
            let log = try await farm.log(id).map(\.text)
            #expect(log.contains { $0.hasPrefix("KFARM-BOOT-OK") }, "the test init ran")
            #expect(log.contains("Hello, Kernel World!"), "the hello module loaded")

            // Rolled out to a system whose agent reboots into it: the default health check boots it under QEMU.
            let manager = try await farm.fixtures.account()
            _ = try await farm.store.projects.setMember(manager.user.id, role: .release_manager, in: project.id, by: nil)
            let system = try await farm.store.systems.create(
                NewTargetSystem(name: Fixtures.unique("board"), architecture: architecture, projectId: project.id), by: manager.user.id)
            let token = try await farm.fixtures.token(of: manager, kind: .system).token
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-agent-\(UUID().lowercased)")
            let initramfs = settings.workDirectory.appendingPathComponent("\(id.lowercased)/attempt-1/out/kfarm-boot/initramfs.cpio")
            let agent = try farm.startAgentProcess(system: system.id, root: root, token: token, arguments: [
                "--toolchains", settings.toolchains.path, "--boot-initramfs", initramfs.path,
            ])
            defer { agent.terminate() }
            try await farm.waitOnline(system.id)
            let deployment = try await farm.store.deployments.create(
                NewDeployment(buildArtifactId: artifact.id, targetSystems: [system.id], options: DeploymentOptions(forceReboot: true)),
                by: manager.user.id)
            let rolledOut = try await farm.deploymentEnded(deployment.id, within: 300)
            #expect(rolledOut.status == .completed, "\(rolledOut.targetSystems)")
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("current/boot/\(image)").path))
            #expect(try await farm.store.systems.find(id: system.id)?.currentArtifact?.id == artifact.id)
        }
    }

    /// ext4 needs the block layer, which tinyconfig leaves out: Kconfig drops
    /// it, and the build fails in initialization saying which symbol and why,
    /// as a build failure (not retried).
    @Test func aRequiredModuleKconfigDropsFailsInitializationNamingWhy() async throws {
        try await TestFarm.run { farm in
            let developer = try await farm.fixtures.account()
            let project = try await farm.fixtures.project(members: [(developer, .developer)])
            let configuration = try await farm.fixtures.configuration(
                in: project, by: developer, architecture: .x86_64,
                modules: [ModuleSpec(name: "ext4", path: "fs/ext4", isBuiltin: true, isRequired: true)])
            let id = try await farm.submit(configuration, by: developer)
            try await farm.withWorker(try await farm.workerSettings([.x86_64], recipe: kernelRecipe())) {
                let build = try await farm.finished(id, within: 300)
                #expect(build.status == .failed && build.attempt == 1)
                #expect(build.failure?.kind == .build)
                #expect(build.failure?.reason.contains("CONFIG_EXT4_FS=y (module ext4) was dropped by Kconfig") == true)
                #expect(build.failure?.reason.contains("if BLOCK") == true, "\(String(describing: build.failure?.reason))")
                #expect(build.stages.map(\.status) == [.failed, .skipped, .skipped, .skipped, .skipped])
            }
        }
    }

    /// A kernel without a console driver (riscv64 without its 8250 UART
    /// symbols) builds, then fails `testing` as a build failure: the test
    /// init's marker never reaches the console, which is in the log (the
    /// firmware's banner is all it holds).
    @Test func aKernelThatDoesNotBootFailsTestingWithTheConsoleInItsLog() async throws {
        try await TestFarm.run { farm in
            let id = try await farm.submit(.riscv64)
            var settings = try await farm.workerSettings([.riscv64], recipe: kernelRecipe())
            let file = settings.toolchains.appendingPathComponent("riscv64.json")
            var spec = try JSONDecoder().decode(ToolchainSpec.self, from: Data(contentsOf: file))
            spec.bootConfig.removeAll { $0.hasPrefix("CONFIG_SERIAL_8250") || $0 == "CONFIG_SERIAL_OF_PLATFORM=y" }
            try JSONEncoder().encode(spec).write(to: file)
            settings.toolchains = file.deletingLastPathComponent()
            try await farm.withWorker(settings) {
                let build = try await farm.finished(id, within: 900)
                #expect(build.status == .failed && build.failure?.kind == .build)
                #expect(build.failure?.reason.contains("did not boot to the test init") == true,
                        "\(String(describing: build.failure?.reason))")
                #expect(build.stages.map(\.status) == [.completed, .completed, .completed, .completed, .failed])
            }
            let log = try await farm.log(id).map(\.text)
            #expect(log.contains { $0.contains("OpenSBI") }, "the console is in the log")
            #expect(!log.contains { $0.hasPrefix("KFARM-BOOT-OK") })
        }
    }
}
