import FarmModel
import Testing

@Suite struct FieldRuleTests {
    @Test(arguments: ["fs/ext4", "drivers/net/ethernet/intel/e1000e", "fs/9p", "lib/zstd", "sound/soc/codecs", "a+b.c_d-e"])
    func acceptsKernelPaths(_ path: String) {
        #expect(FieldRule.kernelPath.problem(with: path) == nil)
    }

    @Test(arguments: [
        "", "/fs/ext4", "../etc", "fs/../../etc", "fs/./ext4", "fs//ext4", "fs/ext4/", "fs/ext4\nCONFIG_X=y",
        "fs/$(reboot)", "fs/`id`", "fs/ext4;rm", "fs/ext 4", "fs/ext4#", "fs/é",
    ])
    func rejectsUnsafeKernelPaths(_ path: String) {
        #expect(FieldRule.kernelPath.problem(with: path) != nil)
    }

    @Test(arguments: ["ext4", "btrfs", "nf_conntrack", "snd-hda-intel", "9p"])
    func acceptsModuleNames(_ name: String) {
        #expect(FieldRule.moduleName.problem(with: name) == nil)
    }

    @Test(arguments: ["", "-ext4", "ext 4", "ext4\n", "a$b", "a/b", "a.b", String(repeating: "x", count: 65)])
    func rejectsBadModuleNames(_ name: String) {
        #expect(FieldRule.moduleName.problem(with: name) != nil)
    }

    @Test func textRuleRejectsEmptyLongAndControlCharacters() {
        let rule = FieldRule.text(maxLength: 5)
        #expect(rule.problem(with: "ok") == nil)
        #expect(rule.problem(with: "   ") == "must not be empty")
        #expect(rule.problem(with: "toolong") == "must be at most 5 characters")
        #expect(rule.problem(with: "a\nb") == "must not contain control characters")
        #expect(FieldRule.text(maxLength: 5, allowEmpty: true).problem(with: "") == nil)
    }

    @Test(arguments: ["6.1", "6.1.0", "5.15.0", "6.10.12"])
    func acceptsKernelVersions(_ version: String) {
        #expect(FieldRule.kernelVersion.problem(with: version) == nil)
    }

    @Test(arguments: ["6", "6.1.0.1", "v6.1", "6.1-rc1", "6..1", ""])
    func rejectsKernelVersions(_ version: String) {
        #expect(FieldRule.kernelVersion.problem(with: version) != nil)
    }
}
