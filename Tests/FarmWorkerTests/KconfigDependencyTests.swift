import FarmModel
@testable import FarmWorker
import Foundation
import Testing

/// Kconfig's conditions as the worker reads and meets them: expressions,
/// the index of a tree's entries, and the resolver's rounds.
@Suite struct KconfigDependencyTests {
    @Test func expressionsEvaluateInThreeValuedLogic() throws {
        let config = DotConfig(text: "CONFIG_NET=y\nCONFIG_USB=m\nCONFIG_HZ=250\n")
        let cases: [(String, Int)] = [
            ("NET", 2), ("USB", 1), ("BLOCK", 0), ("!BLOCK", 2), ("NET && USB", 1), ("BLOCK || USB", 1),
            ("NET && (BLOCK || COMPILE_TEST)", 0), ("HZ=250", 2), ("HZ != 250", 0), ("USB=m", 2), ("y", 2),
            ("$(cc-option,-mfoo)", 0),
        ]
        for (text, value) in cases {
            #expect(try #require(KconfigExpression(text), "\(text)").value(in: config) == value, "\(text)")
        }
        #expect(KconfigExpression("NET &&") == nil)
        #expect(KconfigExpression("(NET") == nil)
    }

    /// A made-up tree: help text that says "if" opens no block, a menu's
    /// `depends on` reaches its entries, a sourced file inherits the `if` around its `source` line.
    @Test func theIndexReadsEntriesBlocksAndSources() throws {
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-kconfig-\(UUID())")
        defer { try? FileManager.default.removeItem(at: tree) }
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("fs/foo"), withIntermediateDirectories: true)
        try """
            config EXPERT
            \tbool "Expert"

            menuconfig BLOCK
            \tbool "Enable the block layer" if EXPERT
            \tdefault y
            \thelp
            \t  if you say N here, nothing below builds.

            menu "Things"
            \tdepends on NET

            config THING
            \ttristate "A thing"
            \tdepends on BLOCK && !LEGACY

            endmenu

            if BLOCK
            source "fs/foo/Kconfig"
            endif

            config HIDDEN
            \tbool
            """.write(to: tree.appendingPathComponent("Kconfig"), atomically: true, encoding: .utf8)
        try "config FOO_FS\n\ttristate \"Foo\"\n".write(to: tree.appendingPathComponent("fs/foo/Kconfig"), atomically: true, encoding: .utf8)
        let index = KconfigIndex(tree: tree, kernelArch: "x86")
        let block = try #require(index["BLOCK"])
        #expect(block.type == "bool" && block.prompt == "Enable the block layer" && block.promptCondition == "EXPERT")
        #expect(block.conditions.isEmpty, "the help text's \"if\" is prose")
        #expect(index["THING"]?.conditions.map(\.description) == ["depends on NET", "depends on BLOCK && !LEGACY"])
        #expect(index["FOO_FS"]?.conditions.map(\.description) == ["if BLOCK"])
        #expect(index["HIDDEN"]?.isChoosable == false && index["THING"]?.isChoosable == true)

        let resolver = KconfigDependencyResolver(index: index)
        let config = DotConfig(text: "CONFIG_LEGACY=y\n")
        #expect(resolver.need(try #require(KconfigExpression("BLOCK && EXPERT")), level: 2, config: config)
                == .enable(["BLOCK", "EXPERT"]))
        if case .blocked(let why) = resolver.need(try #require(KconfigExpression("BLOCK && !LEGACY")), level: 2, config: config) {
            #expect(why.contains("conflicts with LEGACY"))
        } else {
            Issue.record("a !X conflict cannot be met by enabling anything")
        }
        if case .blocked(let why) = resolver.need(.symbol("HIDDEN"), level: 2, config: config) {
            #expect(why.contains("HIDDEN cannot be chosen"))
        } else {
            Issue.record("a symbol without a prompt cannot be enabled")
        }
    }

    /// The real 6.1 tree: ext4 needs the block layer, dummy the network
    /// device symbols; the PL011 UART needs ARM_AMBA, which only an ARM architecture selects.
    @Test func theRealTreesConditionsAreMetOrExplained() async throws {
        let tree = try await KernelConfigTests.tree()
        let resolver = KconfigDependencyResolver(index: KconfigIndex(tree: tree, kernelArch: "x86"))
        var fragment = KconfigFragment()
        try fragment.add(lines: ["CONFIG_EXT4_FS=y", "CONFIG_DUMMY=m", "CONFIG_SERIAL_AMBA_PL011=y"], origin: "test")
        let tinyconfig = DotConfig(text: "CONFIG_NET=y\n")
        let enabled = resolver.round(&fragment, config: tinyconfig)
        #expect(enabled.map(\.description) == [
            "BLOCK=y for EXT4_FS (test)", "NETDEVICES=y for DUMMY (test)", "NET_CORE=y for DUMMY (test)",
            "TTY=y for SERIAL_AMBA_PL011 (test)",
        ])
        let pl011 = try #require(fragment.entries.first { $0.symbol == "SERIAL_AMBA_PL011" })
        #expect(resolver.explain(pl011, config: tinyconfig).contains("depends on ARM_AMBA (ARM_AMBA cannot be chosen"))
    }
}
