import FarmModel
@testable import FarmWorker
import Foundation
import Testing

/// The module catalog read from the real 6.1 tree: the names people write,
/// with paths, symbols, conditions and declared parameters.
@Suite struct ModuleCatalogTests {
    static let catalog = Task<KernelModuleCatalog, any Error> {
        let tree = try await KernelConfigTests.tree()
        return try await BlockingWork.run("catalog") { ModuleCatalogReader(tree: tree).read(series: "6.1") }
    }

    @Test func theNamesPeopleWriteAreInIt() async throws {
        let catalog = try await Self.catalog.value
        try catalog.validate()
        #expect(catalog.modules.count > 3000, "\(catalog.modules.count)")
        let expected: [(String, String, String, String)] = [
            ("ext4", "fs/ext4", "EXT4_FS", "tristate"), ("btrfs", "fs/btrfs", "BTRFS_FS", "tristate"),
            ("dummy", "drivers/net/dummy", "DUMMY", "tristate"), ("virtio_net", "drivers/net/virtio_net", "VIRTIO_NET", "tristate"),
            ("crc-ccitt", "lib/crc-ccitt", "CRC_CCITT", "tristate"),
        ]
        for (name, path, symbol, type) in expected {
            let module = try #require(catalog.module(named: name), "\(name)")
            #expect((module.path, module.symbol, module.type) == (path, symbol, type), "\(name)")
        }
        #expect(catalog.module(named: "crc_ccitt")?.name == "crc-ccitt", "- and _ are alike")
        #expect(catalog.module(named: "ext4")?.dependsOn.contains("BLOCK") == true)
        #expect(catalog.module(named: "btrfs")?.prompt == "Btrfs filesystem support")
        let numdummies = try #require(catalog.module(named: "dummy")?.parameters.first { $0.name == "numdummies" })
        #expect(numdummies.type == "int" && numdummies.description == "Number of dummy pseudo devices")
        #expect(catalog.module(named: "ext4")?.parameters.isEmpty == true)
    }

    @Test func parameterDeclarationsOfEveryVariantAreRead() {
        let source = """
            static int level = 1;
            module_param(level, int, 0644);
            MODULE_PARM_DESC(level, "How hard " "to try");
            module_param_named(size, real_size, uint, 0);
            module_param_array(ids, ushort, &count, 0444);
            module_param_string(label, buffer, sizeof(buffer), 0);
            module_param_cb(mode, &mode_ops, &mode, 0644);
            #define module_param_weird(x) nothing
            """
        let parameters = ModuleParameterScanner.parameters(in: source)
        #expect(parameters.map(\.name) == ["level", "size", "ids", "label", "mode"])
        #expect(parameters.map(\.type) == ["int", "uint", "array of ushort", "string", "custom"])
        #expect(parameters.first?.description == "How hard to try")
    }
}
