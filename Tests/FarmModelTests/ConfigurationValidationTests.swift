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

    /// A stored .config holds Kconfig assignments only, and goes with baseConfig `stored` only.
    @Test func baseConfigsAndStoredConfigsAreChecked() {
        func check(_ base: BaseConfig?, _ stored: String?) -> [String: String] {
            fields { try NewConfiguration(name: "S", baseVersion: "6.1", architecture: "arm64", projectId: UUID(),
                                          baseConfig: base, storedConfig: stored).validate() }
        }
        let good = "# Linux/arm64 6.1.158 Kernel Configuration\nCONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14) 12.2.0\"\n"
            + "CONFIG_64BIT=y\n# CONFIG_EXT4_FS is not set\nCONFIG_LOG_BUF_SHIFT=17\nCONFIG_ILLEGAL_POINTER_VALUE=0xdead000000000000\n"
            + "CONFIG_CMDLINE=\"console=ttyS0 quiet\"\nCONFIG_DEFAULT_HOSTNAME=\"(none)\"\n"
        #expect(check(.stored, good).isEmpty)
        #expect(check(.defconfig, nil).isEmpty && check(nil, nil).isEmpty)
        #expect(check(.stored, nil).keys.contains("storedConfig"))
        #expect(check(.defconfig, good).keys.contains("storedConfig"))
        for bad in ["CONFIG_A=y\nrm -rf /\n", "CONFIG_A=\"x\" \"y\"\n", "CONFIG_a-b=y\n", "CONFIG_A=$(shell reboot)\n",
                    "CONFIG_A=y\r\nCONFIG_B=y\n", "no config here", String(repeating: "CONFIG_A=y\n", count: 60_000)] {
            #expect(check(.stored, bad).keys.contains("storedConfig"), "\(bad.prefix(30))")
        }
        let unknown = fields { try NewConfiguration(name: "S", baseVersion: "6.1", architecture: "arm64", projectId: UUID(),
                                                    baseConfig: nil, storedConfig: nil).validate() }
        #expect(unknown.isEmpty)
        var named = NewConfiguration(name: "S", baseVersion: "6.1", architecture: "arm64", projectId: UUID())
        named.baseConfig = "allyesconfig"
        #expect(fields { try named.validate() }.keys.contains("baseConfig"))
        #expect(fields { try ConfigurationChanges(storedConfig: good).validate() }.keys.contains("baseConfig"))
        #expect(fields { try ConfigurationChanges(baseConfig: .defconfig).validate() }.isEmpty)
    }

    /// Kconfig strings are data: what make or a shell would expand, and
    /// options that make the build read host files outside its own trees,
    /// are refused wherever an assignment comes from, naming the line.
    @Test func kconfigStringsAreDataAndHostFileOptionsStayInTheBuild() {
        let ordinary = [
            #"CONFIG_DEFAULT_HOSTNAME="(none)""#, #"CONFIG_LSM="landlock,lockdown,yama,integrity,apparmor""#,
            #"CONFIG_CMDLINE="console=ttyS0 root=/dev/vda1 rw""#, #"CONFIG_INITRAMFS_SOURCE="""#, #"CONFIG_EXTRA_FIRMWARE="""#,
            #"CONFIG_SYSTEM_TRUSTED_KEYS="debian/certs/debian-uefi-certs.pem""#, #"CONFIG_MODULE_SIG_KEY="certs/signing_key.pem""#,
            #"CONFIG_INITRAMFS_SOURCE="usr/initramfs.list usr/extra""#, "CONFIG_LOG_BUF_SHIFT=-1",
        ]
        for line in ordinary { #expect(StoredConfigRule.rule.problem(with: "CONFIG_64BIT=y\n" + line + "\n") == nil, "\(line)") }
        let hostile = [
            (#"CONFIG_INITRAMFS_SOURCE="usr/list $(shell touch /tmp/pwned)""#, "'$'"),
            (#"CONFIG_LOCALVERSION="-`id`""#, "'`'"),
            (#"CONFIG_LOCALVERSION="-x;reboot""#, "';'"),
            (#"CONFIG_CMDLINE="quiet\"x\"""#, "'\\'"),
            (#"CONFIG_CMDLINE="a"b""#, "'\"'"),
            (#"CONFIG_CMDLINE="a#b""#, "'#'"),
            (#"CONFIG_INITRAMFS_SOURCE="/etc""#, "outside the build"),
            (#"CONFIG_INITRAMFS_SOURCE="usr/list ~/secrets""#, "outside the build"),
            (#"CONFIG_EXTRA_FIRMWARE_DIR="../../../root""#, "'..'"),
            (#"CONFIG_SYSTEM_TRUSTED_KEYS="certs/../../../etc/ssl/private/key.pem""#, "'..'"),
            (#"CONFIG_MODULE_SIG_KEY="/var/lib/kfarm/signing-key""#, "outside the build"),
        ]
        for (line, named) in hostile {
            let problem = StoredConfigRule.rule.problem(with: "CONFIG_64BIT=y\n" + line + "\n")
            #expect(problem?.hasPrefix("line 2: ") == true, "\(line)")
            #expect(problem?.contains(named) == true, "\(line): \(problem ?? "accepted")")
        }
        let module = ModuleSpec(name: "initramfs", parameters: ["CONFIG_INITRAMFS_SOURCE": .string("/home/worker/.config/kfarm")])
        let found = fields { try newConfiguration(modules: [module]).validate() }
        #expect(found["modules[0].parameters.CONFIG_INITRAMFS_SOURCE"]?.contains("outside the build") == true)
        let quoted = ModuleSpec(name: "x", parameters: ["CONFIG_LOCALVERSION": .string("-a;b")])
        #expect(fields { try newConfiguration(modules: [quoted]).validate() }["modules[0].parameters.CONFIG_LOCALVERSION"] != nil)
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
