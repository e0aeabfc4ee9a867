import FarmModel
import Foundation
import Testing

@Suite struct ConfigurationValidationTests {
    private func newConfiguration(
        name: String = "Server", baseVersion: String = "6.1.0", architecture: String = "x86_64", modules: [ModuleSpec] = []
    ) -> NewConfiguration {
        NewConfiguration(name: name, baseVersion: baseVersion, architecture: architecture, projectId: UUID(), modules: modules)
    }

    /// The fields a validation names; empty when it passes.
    private func fields(_ body: () throws -> Void) -> [String: String] {
        do {
            try body()
            return [:]
        } catch let error as ValidationError {
            return error.fields
        } catch {
            Issue.record("unexpected error \(error)")
            return [:]
        }
    }

    @Test func validConfigurationPasses() throws {
        try newConfiguration(modules: [ModuleSpec(name: "ext4", path: "fs/ext4", isBuiltin: true)]).validate()
    }

    @Test func reportsEveryBadFieldAtOnce() {
        let found = fields { try newConfiguration(name: "", baseVersion: "latest", architecture: "sparc").validate() }
        #expect(Set(found.keys) == ["name", "baseVersion", "architecture"])
        #expect(found["architecture"] == "must be one of: x86_64, arm64, riscv64")
    }

    @Test func namesTheOffendingModuleField() {
        let modules = [
            ModuleSpec(name: "ext4"),
            ModuleSpec(name: "xfs", path: "../../etc"),
            ModuleSpec(name: "ext4"),
            ModuleSpec(name: "btrfs", parameters: ["bad key": .integer(1), "nested": .list([.list([])])]),
        ]
        let found = fields { try newConfiguration(modules: modules).validate() }
        #expect(found["modules[1].path"] != nil)
        #expect(found["modules[2].name"]?.contains("duplicates") == true)
        #expect(found["modules[3].parameters"] != nil)
        #expect(found["modules[3].parameters.nested"] == "must be a flat list (no nested lists)")
        #expect(found["modules[0].name"] == nil)
    }

    @Test func parameterStringsCannotCarryNewlines() {
        let module = ModuleSpec(name: "btrfs", parameters: ["mode": .string("a\nCONFIG_EVIL=y")])
        let found = fields { try newConfiguration(modules: [module]).validate() }
        #expect(found["modules[0].parameters.mode"] != nil)
    }

    @Test func tooManyModulesIsRejected() {
        let modules = (0...ModuleSpec.maxModules).map { ModuleSpec(name: "m\($0)") }
        #expect(fields { try newConfiguration(modules: modules).validate() }["modules"] != nil)
    }

    @Test func changesMustChangeSomethingAndNeverTheArchitecture() {
        #expect(fields { try ConfigurationChanges().validate() }["body"] != nil)
        var changes = ConfigurationChanges(name: "new")
        changes.architecture = "arm64"
        #expect(fields { try changes.validate() }["architecture"] != nil)
    }

    @Test func moduleSpecDefaultsFlagsToFalse() throws {
        let spec = try JSONDecoder().decode(ModuleSpec.self, from: Data(#"{"name":"ext4"}"#.utf8))
        #expect(spec == ModuleSpec(name: "ext4", path: nil, isBuiltin: false, isRequired: false, parameters: [:]))
    }

    @Test func moduleParametersRoundTripThroughJSON() throws {
        let json = #"{"raid_levels":[0,1,10],"enabled":true,"ratio":0.5,"mode":"fast"}"#
        let decoded = try JSONDecoder().decode([String: ModuleParameter].self, from: Data(json.utf8))
        #expect(decoded["raid_levels"] == .list([.integer(0), .integer(1), .integer(10)]))
        #expect(decoded["enabled"] == .bool(true))
        #expect(decoded["ratio"] == .number(0.5))
        #expect(decoded["mode"] == .string("fast"))
        let again = try JSONDecoder().decode(
            [String: ModuleParameter].self, from: try JSONEncoder().encode(decoded))
        #expect(again == decoded)
    }
}
