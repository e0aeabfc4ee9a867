import FarmModel
import Testing

@Suite struct ModuleResolutionTests {
    private func module(_ name: String, _ path: String, _ symbol: String, type: String = "tristate",
                        parameters: [String] = []) -> KernelModuleInfo {
        KernelModuleInfo(name: name, path: path, symbol: symbol, type: type, prompt: nil, dependsOn: [],
                         parameters: parameters.map { KernelModuleParameter(name: $0, type: "int") })
    }

    private var resolution: ModuleResolution {
        var resolution = ModuleResolution(series: "6.1", entries: [
            module("ext4", "fs/ext4", "EXT4_FS"), module("crc-ccitt", "lib", "CRC_CCITT"),
            module("dummy", "drivers/net/dummy", "DUMMY", parameters: ["numdummies"]),
            module("printk", "kernel/printk", "PRINTK", type: "bool"),
        ])
        resolution.catalogNames = ["ext4", "ext2", "ext3", "btrfs", "xfs", "dummy", "crc-ccitt", "crc32", "printk"]
        return resolution
    }

    private func problems(_ specs: [ModuleSpec]) -> [String: String] {
        do {
            _ = try resolution.resolve(specs, field: "modules")
            return [:]
        } catch {
            return error.fields
        }
    }

    @Test func knownNamesGetTheirPathsWhateverTheirSpelling() throws {
        let resolved = try resolution.resolve([ModuleSpec(name: "ext4"), ModuleSpec(name: "CRC_CCITT", path: "lib"),
                                               ModuleSpec(name: "unlisted", path: "drivers/misc/unlisted")], field: "modules")
        #expect(resolved.map(\.path) == ["fs/ext4", "lib", "drivers/misc/unlisted"])
        #expect(resolved.map(\.name) == ["ext4", "CRC_CCITT", "unlisted"], "names stay as written")
    }

    @Test func contradictionsNameTheirFields() {
        let found = problems([
            ModuleSpec(name: "ext4", path: "fs/ext3"),
            ModuleSpec(name: "printk", isBuiltin: false),
            ModuleSpec(name: "dummy", isRequired: true, parameters: ["numdummies": .integer(2), "speed": .integer(1),
                                                                     "CONFIG_DUMMY_X": .string("y")]),
            ModuleSpec(name: "ext4", isRequired: true, parameters: ["journal": .bool(true)]),
        ])
        #expect(found["modules[0].path"]?.contains("fs/ext4") == true)
        #expect(found["modules[1].isBuiltin"]?.contains("PRINTK is a bool") == true)
        #expect(found["modules[2].parameters.speed"]?.hasSuffix("it declares numdummies") == true)
        #expect(found["modules[3].parameters.journal"]?.hasSuffix("it declares none") == true)
        #expect(found.count == 4, "\(found)")
    }

    @Test func optionalModulesKeepUndeclaredParameters() throws {
        let spec = ModuleSpec(name: "dummy", parameters: ["raid_levels": .list([.integer(0), .integer(1)])])
        #expect(try resolution.resolve([spec], field: "modules")[0].parameters == spec.parameters)
    }

    @Test func unknownNamesSuggestTheClosest() {
        let message = problems([ModuleSpec(name: "ext5")])["modules[0].name"] ?? ""
        #expect(message.contains("closest: ext2, ext3, ext4"), "\(message)")
        #expect(resolution.suggestions(for: "crc") == ["crc32", "crc-ccitt"])
        #expect(resolution.suggestions(for: "dumm") == ["dummy"])
        #expect(resolution.suggestions(for: "zzzzzzzzzz").isEmpty)
        #expect(resolution.suggestions(for: "ext").count <= ModuleResolution.maxSuggestions)
    }
}
