import FarmMachine
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

    /// What a kernel test builds: the contract's own configuration and
    /// build request, as the seed writes them (modules by name, ext4 built
    /// in, btrfs optional with a parameter it does not have, -O3 with debug
    /// symbols), or the small one (a module that needs nothing) where the
    /// suite's time does not allow the large one.
    struct Scenario: Sendable, CustomTestStringConvertible {
        var architecture: Architecture
        var image: String
        var machine: UInt16
        var contract: Bool

        var testDescription: String { "\(architecture.rawValue)\(contract ? ", the contract's example" : "")" }

        /// The seed's `POST /configurations` example, verbatim but for the project and the architecture.
        func configuration(project: UUID) -> [String: Any] {
            let modules: [[String: Any]] = contract ? [
                ["name": "ext4", "isBuiltin": true, "isRequired": true],
                ["name": "btrfs", "isBuiltin": false, "isRequired": false, "parameters": ["raid_levels": [0, 1, 10]]],
            ] : [["name": "crc-ccitt", "path": "lib/crc-ccitt", "isBuiltin": false, "isRequired": true]]
            return ["name": Fixtures.unique(contract ? "RISC-V Server Config" : "config"),
                    "description": "Server configuration for RISC-V architecture", "baseVersion": "6.1.0",
                    "architecture": architecture.rawValue, "projectId": project.lowercased, "modules": modules]
        }

        /// The seed's `POST /builds` example but for `compilerVersion` (gcc-13.2.0 is not on this machine: issue 20).
        var buildRequest: [String: Any] {
            contract ? ["environment": "production", "priority": "high", "options": ["debugSymbols": true, "optimizationLevel": 3]] : [:]
        }

        var module: String { contract ? "kernel/fs/btrfs/btrfs.ko" : "kernel/lib/crc-ccitt.ko" }
        var symbols: [String: String] {
            contract ? ["EXT4_FS": "y", "BTRFS_FS": "m", "BLOCK": "y", "DEBUG_INFO": "y", "MODULES": "y"]
                : ["CRC_CCITT": "m", "MODULES": "y", "PRINTK": "y", "BLK_DEV_INITRD": "y"]
        }
    }

    /// A configuration for each architecture — the contract's own for
    /// riscv64 (x86_64's took 17 minutes of CI's hour) — through the farm: the image, System.map,
    /// .config and the module land in staging, the final .config has what
    /// was asked for (and what it depends on), and the image boots under
    /// QEMU to the test init, which loads the configuration's modules and
    /// the seed's hello module. Then the artifact is downloaded, reused by
    /// the build cache and rolled out to an agent that boots it.
    @Test(arguments: [Scenario(architecture: .riscv64, image: "Image", machine: 243, contract: true),
                      Scenario(architecture: .arm64, image: "Image", machine: 183, contract: false),
                      Scenario(architecture: .x86_64, image: "bzImage", machine: 62, contract: false)])
    func aRealKernelWithItsModulesBuildsAndBoots(scenario: Scenario) async throws {
        let architecture = scenario.architecture, image = scenario.image
        try await TestFarm.run { farm in
            let developer = try await farm.fixtures.account()
            let project = try await farm.fixtures.project(members: [(developer, .developer)])
            let settings = try await farm.workerSettings([architecture], recipe: kernelRecipe())
            let (configuration, id) = try await farm.withWorker(settings) {
                if scenario.contract {
                    // The worker publishes the series' module catalog when it joins: names then resolve at once.
                    try await farm.catalogPublished("6.1", as: developer, within: 600)
                }
                let (status, created) = try await farm.call(.post, "/configurations", as: developer,
                                                            json: scenario.configuration(project: project.id))
                #expect(status == .created, "\(created)")
                let configurationID = try #require((created["id"] as? String).flatMap(UUID.init(uuidString:)))
                let configuration = try await farm.store.configurations.detail(id: configurationID)
                if scenario.contract {
                    let (_, shown) = try await farm.call(.get, "/configurations/\(configurationID.lowercased)", as: developer)
                    let modules = (shown["modules"] as? [[String: Any]]) ?? []
                    #expect(modules.map { $0["path"] as? String } == ["fs/ext4", "fs/btrfs"], "\(shown)")
                }
                let id = try await farm.submit(configuration.versions[0].id, by: developer, request: scenario.buildRequest)
                let build = try await farm.finished(id, within: 2400)
                #expect(build.status == .completed, "\(String(describing: build.failure))")
                #expect(build.stages.map(\.status) == Array(repeating: .completed, count: 5))
                if scenario.contract {
                    #expect(build.enabledDependencies.map(\.description).contains("BLOCK=y for EXT4_FS (module ext4)"),
                            "\(build.enabledDependencies)")
                    #expect(build.warnings.contains { $0.contains("module btrfs: parameter raid_levels") }, "\(build.warnings)")
                }
                return (configuration, id)
            }
            let staging = settings.workDirectory.appendingPathComponent("\(id.lowercased)/attempt-1/staging")
            let module = "lib/modules/6.1.192/\(scenario.module)"
            let vmlinux = scenario.contract ? ["boot/vmlinux"] : []
            for file in ["boot/\(image)", "boot/System.map", "boot/config", module] + vmlinux {
                #expect(FileManager.default.fileExists(atPath: staging.appendingPathComponent(file).path), "\(file)")
            }
            let config = DotConfig(text: try String(contentsOf: staging.appendingPathComponent("boot/config"), encoding: .utf8))
            for (symbol, value) in scenario.symbols { #expect(config.value(of: symbol) == value, "CONFIG_\(symbol)") }
            #expect(try ELFHeader.read(staging.appendingPathComponent(module))?.machine == scenario.machine)
            // The artifact: uploaded, recorded with its provenance, downloadable with the sha256 it was recorded with,
            // holding the image, System.map, .config, module and metadata.json.
            let built = try #require(try await farm.store.builds.find(id: id))
            let artifactID = try #require(built.artifactId.flatMap { UUID(uuidString: $0) })
            let artifact = try #require(try await farm.store.artifacts.find(id: artifactID))
            #expect(artifact.name.hasPrefix("linux-6.1.192-") && artifact.name.hasSuffix("-\(architecture.rawValue).tar.zst"))
            #expect(artifact.build.id == id && artifact.configVersion.id == configuration.versions[0].id)
            #expect(artifact.metadata.kernelRelease == "6.1.192" && artifact.metadata.files.contains { $0.path == module })
            // The exact compiler, e.g. "aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0", in the metadata and the signed provenance.
            let compiler = try #require(artifact.metadata.compiler)
            #expect(compiler.contains("gcc") && compiler.contains(String(artifact.metadata.toolchain.dropFirst("gcc-".count))))
            let statement = try #require(Data(base64Encoded: artifact.signature.statement))
            #expect(String(decoding: statement, as: UTF8.self).contains(compiler))
            if scenario.contract {
                #expect(artifact.metadata.options.optimizationLevel == .level(3))
                #expect(artifact.metadata.findings?.warnings.contains { $0.contains("raid_levels") } == true)
            }
            let download = try await farm.client.execute(uri: "/artifacts/\(artifact.id.lowercased)/download", method: .get,
                                                         headers: [.authorization: developer.authorization])
            #expect(download.status == .ok && download.headers[.eTag] == "\"\(artifact.sha256)\"")
            // Stored, uploaded and served bytes are counted (the in-process worker's metrics share the test's registry).
            try await Task.sleep(for: .milliseconds(1100))
            let metrics = try await farm.metrics()
            #expect(metrics.value("kfarm_artifact_stored_bytes") ?? 0 >= Double(artifact.size))
            #expect(metrics.value("kfarm_worker_uploaded_bytes_total") ?? 0 >= Double(artifact.size))
            #expect(metrics.value("kfarm_artifact_served_bytes_total") ?? 0 >= Double(artifact.size))
            let archive = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-\(artifact.name)")
            try Data(buffer: download.body).write(to: archive)
            defer { try? FileManager.default.removeItem(at: archive) }
            let digest = LineCollector()
            #expect(try await CommandRunner.run(Command("sha256sum", [archive.path]), onLines: digest.append) == 0)
            #expect(digest.lines.first?.hasPrefix(artifact.sha256 + " ") == true)
            let listing = LineCollector()
            #expect(try await CommandRunner.run(Command("tar", ["--zstd", "-tf", archive.path]), onLines: listing.append) == 0)
            #expect(Set(listing.lines).isSuperset(of: ["boot/\(image)", "boot/System.map", "boot/config", module, "metadata.json"] + vmlinux))

            // The same configuration again: the inputs hash to the same key, and the build completes with that artifact.
            let again = try await farm.submit(configuration.versions[0].id, by: developer, request: scenario.buildRequest)
            try await farm.withWorker(try await farm.workerSettings([architecture], recipe: kernelRecipe())) {
                let reused = try await farm.finished(again, within: 300)
                #expect(reused.status == .completed && reused.artifactId == artifact.id.lowercased)
                #expect(reused.cachedFrom == id.lowercased)
                #expect(reused.stages.map(\.status) == [.completed, .skipped, .skipped, .skipped, .skipped])
            }
            let log = try await farm.log(id).map(\.text)
            #expect(log.contains { $0.hasPrefix("KFARM-BOOT-OK") }, "the test init ran")
            #expect(log.contains("Hello, Kernel World!"), "the hello module loaded")
            let loaded = "KFARM-MODULE: finit_module(/m/\((scenario.module as NSString).lastPathComponent)) = 0"
            #expect(log.contains(loaded), "the configuration's module loaded at boot")

            // Rolled out to a system whose agent reboots into it: the default health check boots it under QEMU.
            let manager = try await farm.fixtures.account()
            _ = try await farm.store.projects.setMember(manager.user.id, role: .release_manager, in: project.id, by: nil)
            let system = try await farm.store.systems.create(
                NewTargetSystem(name: Fixtures.unique("board"), architecture: architecture, projectId: project.id), by: manager.user.id)
            let token = try await farm.fixtures.token(of: manager, kind: .system).token
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-agent-\(UUID().lowercased)")
            let initramfs = settings.workDirectory.appendingPathComponent("\(id.lowercased)/attempt-1/work/out/kfarm-boot/initramfs.cpio")
            let agent = try farm.startAgentProcess(system: system.id, root: root, token: token, arguments: [
                "--architecture-files", settings.architectureFiles.path, "--boot-initramfs", initramfs.path,
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

    /// A kernel built with clang-16 (`LLVM=-16`) for each architecture: the
    /// build asks for `clang`, the farm routes it to the toolchain a worker
    /// offers, and the kernel's own .config, the artifact's metadata and its
    /// signed provenance name the compiler; it boots under QEMU and loads the
    /// hello module, built with the same clang against it. The arm64 one is
    /// a stored tinyconfig with a device-tree platform (Arm's Versatile
    /// Express models): its .dtb files are in the artifact under boot/dtbs;
    /// riscv64's tinyconfig enables none, and ships none.
    @Test(arguments: [Architecture.arm64])  // One architecture, for CI's time: scripts/bench-compilers.sh builds all three.
    func aClangKernelBuildsAndBoots(architecture: Architecture) async throws {
        try await TestFarm.run { farm in
            let developer = try await farm.fixtures.account()
            let project = try await farm.fixtures.project(members: [(developer, .developer)])
            let scenario = Scenario(architecture: architecture, image: "", machine: 0, contract: false)
            let stored = architecture == .arm64
                ? try await tinyconfig(.arm64).replacingOccurrences(of: "# CONFIG_ARCH_VEXPRESS is not set", with: "CONFIG_ARCH_VEXPRESS=y")
                : nil
            let settings = try await farm.workerSettings([architecture], recipe: kernelRecipe(), toolchains: ["gcc-12", "clang-16"])
            let id = try await farm.withWorker(settings) {
                var configuration = scenario.configuration(project: project.id)
                if let stored {
                    configuration["baseConfig"] = "stored"
                    configuration["storedConfig"] = stored
                }
                let (status, created) = try await farm.call(.post, "/configurations", as: developer, json: configuration)
                #expect(status == .created, "\(created)")
                let versionID = (created["versions"] as? [[String: Any]])?.first?["id"] as? String
                let version = try #require(versionID.flatMap { UUID(uuidString: $0) })
                try await farm.waitForOffer("clang", for: architecture)
                let id = try await farm.submit(version, by: developer, request: ["options": ["compilerVersion": "clang"]])
                let build = try await farm.finished(id, within: 1800)
                #expect(build.status == .completed, "\(String(describing: build.failure))")
                return id
            }
            let staging = settings.workDirectory.appendingPathComponent("\(id.lowercased)/attempt-1/staging")
            let config = DotConfig(text: try String(contentsOf: staging.appendingPathComponent("boot/config"), encoding: .utf8))
            #expect(config.value(of: "CC_IS_CLANG") == "y" && config.value(of: "CC_IS_GCC") == "n")
            #expect(config.value(of: "CC_VERSION_TEXT").contains("clang version 16"))
            let built = try #require(try await farm.store.builds.find(id: id))
            let artifactID = try #require(built.artifactId.flatMap { UUID(uuidString: $0) })
            let artifact = try #require(try await farm.store.artifacts.find(id: artifactID))
            #expect(artifact.metadata.toolchain.hasPrefix("clang-16."), "\(artifact.metadata.toolchain)")
            let compiler = try #require(artifact.metadata.compiler)
            #expect(compiler.contains("clang version 16"), "\(compiler)")
            let statement = try #require(Data(base64Encoded: artifact.signature.statement))
            #expect(String(decoding: statement, as: UTF8.self).contains(compiler))
            let log = try await farm.log(id).map(\.text)
            #expect(log.contains { $0.hasPrefix("$ make") && $0.contains("LLVM=-16") && $0.contains("CC=clang-16") })
            #expect(log.contains { $0.hasPrefix("KFARM-BOOT-OK") }, "the test init ran")
            #expect(log.contains("Hello, Kernel World!"), "the hello module, built with clang, loaded")
            let dtbs = artifact.metadata.files.map(\.path).filter { $0.hasPrefix("boot/dtbs/") }
            if architecture == .arm64 {
                #expect(config.value(of: "ARCH_VEXPRESS") == "y")
                #expect(Set(dtbs).isSuperset(of: ["boot/dtbs/arm/juno.dtb", "boot/dtbs/arm/foundation-v8.dtb"]), "\(dtbs)")
                #expect(log.contains("device-tree platforms enabled: ARCH_VEXPRESS"))
            } else {
                #expect(dtbs.isEmpty, "\(dtbs)")
            }
        }
    }

    /// `make tinyconfig` for `architecture` in the Debian tree (unpacked as a worker would), as a stored .config.
    func tinyconfig(_ architecture: Architecture) async throws -> String {
        let tree = try await kernelRecipe().sources.checkout("6.1.0", log: { _ in }).tree
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-tinyconfig-\(UUID().lowercased)")
        defer { try? FileManager.default.removeItem(at: output) }
        let kernelArch = try MachineData.architecture(architecture).kernelArch
        #expect(try await CommandRunner.run(Command("make", ["-s", "-C", tree.path, "O=\(output.path)", "ARCH=\(kernelArch)",
                                                             "tinyconfig"]), onLines: { _ in }) == 0)
        return try String(contentsOf: output.appendingPathComponent(".config"), encoding: .utf8)
    }

    /// A kernel without a console driver (riscv64 without its 8250 UART
    /// symbols) builds, then fails `testing` as a build failure: the test
    /// init's marker never reaches the console, which is in the log (the
    /// firmware's banner is all it holds).
    @Test func aKernelThatDoesNotBootFailsTestingWithTheConsoleInItsLog() async throws {
        try await TestFarm.run { farm in
            let id = try await farm.submit(.riscv64)
            let settings = try await farm.workerSettings([.riscv64], recipe: kernelRecipe())
            let file = settings.architectureFiles.appendingPathComponent("riscv64.json")
            var spec = try JSONDecoder().decode(ArchitectureSpec.self, from: Data(contentsOf: file))
            spec.bootConfig.removeAll { $0.hasPrefix("CONFIG_SERIAL_8250") || $0 == "CONFIG_SERIAL_OF_PLATFORM=y" }
            try JSONEncoder().encode(spec).write(to: file)
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
