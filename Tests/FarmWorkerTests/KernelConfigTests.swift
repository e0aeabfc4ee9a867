@testable import FarmMachine
import FarmModel
@testable import FarmWorker
import Foundation
import FarmTestSupport
import Testing

/// Kconfig symbols from the real linux-source-6.1 tree, fragments and their
/// verification against a .config.
@Suite struct KernelConfigTests {
    /// Debian's 6.1 tree, unpacked into the worker's default cache by the
    /// provider's own step, once for all of the suite's tests (they run in parallel).
    static func tree() async throws -> URL {
        try await unpacked.value
    }

    private static let unpacked = Task<URL, any Error> {
        let sources = DebianKernelSource(cache: URL(fileURLWithPath: "/tmp/kfarm-kernel-sources"))
        guard sources.series.contains("6.1") else {
            throw CheckFailed("no linux-source-6.1 in /usr/src (scripts/install-deps.sh installs it)")
        }
        return try await sources.checkout("6.1.0", log: { _ in }).tree
    }

    static func module(_ name: String, _ path: String?, builtin: Bool = false, required: Bool = true,
                       parameters: [String: ModuleParameter] = [:]) -> ConfigModule {
        ConfigModule(id: UUID(), name: name, path: path, isBuiltin: builtin, isRequired: required, parameters: parameters)
    }

    @Test func symbolsComeFromTheTreesKbuildMakefiles() async throws {
        let symbols = KbuildSymbols(tree: try await Self.tree())
        #expect(try symbols.symbol(forModuleAt: "fs/ext4") == "EXT4_FS")
        #expect(try symbols.symbol(forModuleAt: "drivers/net/dummy") == "DUMMY")
        #expect(try symbols.symbol(forModuleAt: "lib/crc-ccitt") == "CRC_CCITT")
        #expect(throws: CheckFailed.self) { try symbols.symbol(forModuleAt: "fs/no-such-filesystem") }
        #expect(throws: CheckFailed.self) { try symbols.symbol(forModuleAt: "../etc/passwd") }
    }

    @Test func aFragmentSetsModulesOptionsAndBootSymbols() async throws {
        var fragment = KconfigFragment()
        try fragment.add(lines: ["# boot", "CONFIG_PRINTK=y", ""], origin: "boot.config")
        try fragment.add([Self.module("ext4", "fs/ext4", builtin: true), Self.module("dummy", "drivers/net/dummy",
                          parameters: ["CONFIG_LOG_BUF_SHIFT": .integer(16)])],
                         symbols: KbuildSymbols(tree: try await Self.tree()))
        try fragment.add(BuildOptions(debugSymbols: true))
        #expect(fragment.text == """
            CONFIG_PRINTK=y
            CONFIG_EXT4_FS=y
            CONFIG_DUMMY=m
            CONFIG_LOG_BUF_SHIFT=16
            CONFIG_MODULES=y
            CONFIG_MODULE_UNLOAD=y
            CONFIG_DEBUG_KERNEL=y
            CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y
            CONFIG_DEBUG_INFO=y

            """)
    }

    /// Real configurations pass the Kconfig rules: every assignment of every
    /// defconfig the 6.1 tree ships, for every architecture, but the two
    /// that make the build read outside its trees (arc's tb10x initramfs
    /// one directory above the tree, and one expanding make's `$$…`).
    @Test func theTreesOwnDefconfigsPassTheKconfigRules() async throws {
        let arch = try await Self.tree().appendingPathComponent("arch")
        var assignments = 0
        var refused: [String] = []
        let files = try #require(FileManager.default.enumerator(at: arch, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let file as URL in files where file.path.contains("/configs/")
            && (try? file.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where line.hasPrefix("CONFIG_") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                assignments += 1
                if KconfigAssignment.problem(symbol: line[line.index(line.startIndex, offsetBy: 7)..<equals],
                                             value: line[line.index(after: equals)...]) != nil {
                    refused.append(String(line))
                }
            }
        }
        #expect(assignments > 50_000)
        #expect(refused.sorted() == [#"CONFIG_INITRAMFS_SOURCE="$$KERNEL_INITRAMFS_SOURCE""#,
                                     #"CONFIG_INITRAMFS_SOURCE="../tb10x-rootfs.cpio""#])
    }

    /// Values that would end the line and start another, or make the build
    /// read host files, are refused, as are parameters that are no Kconfig
    /// option and levels the kernel has no choice for.
    @Test(arguments: [
        ["CONFIG_X": ModuleParameter.string("a\nCONFIG_EVIL=y")], ["CONFIG_X": .string("a\" # b")],
        ["CONFIG_X\nCONFIG_EVIL": .bool(true)], ["CONFIG_x.y": .bool(true)], ["debug": .integer(1)],
        ["CONFIG_X": .list([.integer(1)])], ["CONFIG_X": .string("$(reboot)")],
        ["CONFIG_INITRAMFS_SOURCE": .string("/etc")], ["CONFIG_EXTRA_FIRMWARE_DIR": .string("fw/../../..")],
    ])
    func injectionAndUnmappedParametersAreRefused(_ parameters: [String: ModuleParameter]) async throws {
        var fragment = KconfigFragment()
        let symbols = KbuildSymbols(tree: try await Self.tree())
        let tree = try await Self.tree()
        let modules = [Self.module("dummy", "drivers/net/dummy", parameters: parameters)]
        #expect(throws: CheckFailed.self) {
            try fragment.add(modules, symbols: symbols)
            _ = try ModuleParameterDefaults(modules, tree: tree)
        }
        #expect(fragment.text.isEmpty || !fragment.text.contains("EVIL"))
    }

    /// The base: Kconfig's own target, or the stored .config written out and completed by olddefconfig.
    @Test func theBaseConfigurationIsKconfigsTargetOrTheStoredConfig() async throws {
        let tree = try await Self.tree()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-base-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let workspace = try Workspace.prepare(at: root, source: tree, toolchain: try MachineData.toolchain(.arm64), jobs: 2, sandbox: nil)
        let output = workspace.output
        let recipe = KernelRecipe(sources: DebianKernelSource(cache: URL(fileURLWithPath: "/tmp/kfarm-kernel-sources")),
                                  data: URL(fileURLWithPath: "/nonexistent"))
        func commands(_ plan: BuildPlan) throws -> [String] {
            try recipe.baseSteps(plan, workspace).map { step in
                switch step {
                case .run(let command): return command.arguments.last ?? ""
                case .check(_, let body): try body(); return "check"
                case .note, .repeating: return "other"
                }
            }
        }
        #expect(try commands(BuildPlan(baseVersion: "6.1", modules: [])) == ["tinyconfig"])
        #expect(try commands(BuildPlan(baseVersion: "6.1", modules: [], baseConfig: .defconfig)) == ["defconfig"])
        let stored = "CONFIG_64BIT=y\n"
        #expect(try commands(BuildPlan(baseVersion: "6.1", modules: [], baseConfig: .stored, storedConfig: stored))
                == ["check", "olddefconfig"])
        #expect(try String(contentsOf: output.appendingPathComponent(".config"), encoding: .utf8) == stored)
    }

    /// Parameters the module declares (`module_param`) become its defaults:
    /// a built-in module's on the built-in command line, a loadable one's in modprobe.d.
    @Test func declaredModuleParametersBecomeTheModulesDefaults() async throws {
        let tree = try await Self.tree()
        #expect(ModuleParameterDefaults.declaredParameters(at: "drivers/net/dummy", in: tree) == ["numdummies"])
        let builtin = try ModuleParameterDefaults([Self.module("dummy", "drivers/net/dummy", builtin: true,
                                                               parameters: ["numdummies": .integer(3)])], tree: tree)
        #expect(builtin.commandLine == ["dummy.numdummies=3"] && builtin.modprobe.isEmpty)
        let loadable = try ModuleParameterDefaults([
            Self.module("dummy", "drivers/net/dummy", parameters: ["numdummies": .list([.integer(1), .integer(2)])]),
            Self.module("ccitt", "lib/crc-ccitt", parameters: ["CONFIG_CRC_CCITT": .string("m")]),
        ], tree: tree)
        #expect(loadable.modprobe == ["options dummy numdummies=1,2"] && loadable.commandLine.isEmpty)
        #expect(ModuleParameterDefaults.moduleName("lib/crc-ccitt") == "crc_ccitt")

        var fragment = KconfigFragment()
        try fragment.add(commandLine: builtin.commandLine, architectureLines: ["CONFIG_CMDLINE_BOOL=y"], architecture: "x86_64")
        #expect(fragment.text == "CONFIG_CMDLINE=\"dummy.numdummies=3\"\nCONFIG_CMDLINE_BOOL=y\n")
        do {
            _ = try ModuleParameterDefaults([Self.module("dummy", "drivers/net/dummy", parameters: ["numdumies": .integer(3)])],
                                            tree: tree)
            Issue.record("a parameter the module does not declare was accepted")
        } catch let error as CheckFailed {
            #expect(error.description.contains("it has: numdummies"), "\(error)")
        }
        #expect(throws: CheckFailed.self) {
            try ModuleParameterDefaults([Self.module("dummy", "drivers/net/dummy", builtin: true,
                                                     parameters: ["numdummies": .string("3 init=/bin/sh")])], tree: tree)
        }
    }

    @Test func conflictingValuesAndUnsupportedLevelsAreRefused() async throws {
        var fragment = KconfigFragment()
        let symbols = KbuildSymbols(tree: try await Self.tree())
        #expect(throws: CheckFailed.self) {
            try fragment.add([Self.module("a", "fs/ext4", builtin: true), Self.module("b", "fs/ext4", builtin: false)], symbols: symbols)
        }
        #expect(throws: CheckFailed.self) { try fragment.add(BuildOptions(optimizationLevel: .level(1))) }
        #expect(throws: CheckFailed.self) { try fragment.add(lines: ["CONFIG_A=y\" CONFIG_B=y"], origin: "data") }
    }

    @Test func droppedSymbolsAreFound() async throws {
        var fragment = KconfigFragment()
        try fragment.add(lines: ["CONFIG_PRINTK=y", "CONFIG_DUMMY=m", "CONFIG_LOG_BUF_SHIFT=16"], origin: "test")
        let config = DotConfig(text: """
            CONFIG_PRINTK=y
            # CONFIG_DUMMY is not set
            CONFIG_LOG_BUF_SHIFT=17
            """)
        #expect(fragment.dropped(from: config).map(\.symbol) == ["DUMMY", "LOG_BUF_SHIFT"])
        let resolver = KconfigDependencyResolver(index: KconfigIndex(tree: try await Self.tree(), kernelArch: "riscv"))
        #expect(resolver.explain(try #require(fragment.entries.first { $0.symbol == "DUMMY" }), config: config)
                == "if NETDEVICES; if NET_CORE")
        var unknown = KconfigFragment()
        try unknown.add(lines: ["CONFIG_NO_SUCH_SYMBOL=y"], origin: "test")
        #expect(resolver.explain(unknown.entries[0], config: config) == "no such Kconfig symbol in this kernel")
    }
}
