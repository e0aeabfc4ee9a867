import FarmModel
@testable import FarmWorker
import Foundation
import Testing

/// A kernel ships device trees when its final .config enables a platform
/// the architecture's dts Makefiles build for, read from the real 6.1 tree.
@Suite struct DeviceTreePlatformsTests {
    @Test func thePlatformsAConfigurationEnablesAreThoseOfItsArchitecturesDeviceTrees() async throws {
        let tree = try await KernelConfigTests.tree()
        let arm64 = DeviceTreePlatforms(tree: tree, kernelArch: "arm64")
        #expect(arm64.symbols.isSuperset(of: ["ARCH_VEXPRESS", "ARCH_BCM2835", "ARCH_QCOM"]))
        #expect(arm64.enabled(in: DotConfig(text: "CONFIG_OF=y\nCONFIG_ARCH_VEXPRESS=y\nCONFIG_PRINTK=y\n")) == ["ARCH_VEXPRESS"])
        #expect(arm64.enabled(in: DotConfig(text: "CONFIG_OF=y\n# CONFIG_ARCH_VEXPRESS is not set\n")).isEmpty, "tinyconfig")
        #expect(arm64.enabled(in: DotConfig(text: "CONFIG_ARCH_VEXPRESS=y\n")).isEmpty, "no device trees without OF")
        let riscv = DeviceTreePlatforms(tree: tree, kernelArch: "riscv")
        #expect(riscv.enabled(in: DotConfig(text: "CONFIG_OF=y\nCONFIG_SOC_SIFIVE=y\nCONFIG_SOC_VIRT=y\n")) == ["SOC_SIFIVE"])
        #expect(DeviceTreePlatforms(tree: tree, kernelArch: "x86").symbols.isEmpty, "x86 builds no device trees")
    }
}
