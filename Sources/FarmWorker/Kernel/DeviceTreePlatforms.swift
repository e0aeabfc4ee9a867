import FarmModel
import Foundation

/// Which device-tree platforms a kernel's configuration enables: the
/// `dtb-$(CONFIG_…)` symbols of the architecture's `boot/dts` Makefiles that
/// the final .config sets to y. A kernel with none (tinyconfig, QEMU's virt
/// machines) has no .dtb files to build, and `make dtbs` is not run.
struct DeviceTreePlatforms: Sendable {
    /// The platform symbols the architecture's device trees are built for.
    let symbols: Set<String>

    /// Read from `<tree>/arch/<kernelArch>/boot/dts` (once per tree and architecture: `KernelTreeIndexes`).
    init(tree: URL, kernelArch: String) {
        let makefiles = KernelTreeFiles.files(in: tree.appendingPathComponent("arch/\(kernelArch)/boot/dts"),
                                              skipping: { _ in false }, where: { $0.lastPathComponent == "Makefile" })
        var symbols: Set<String> = []
        for file in makefiles {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for match in text.matches(of: /dtb-\$\(CONFIG_([A-Za-z0-9_]+)\)/) { symbols.insert(String(match.1)) }
        }
        self.symbols = symbols
    }

    /// Those of them `config` builds in, sorted.
    func enabled(in config: DotConfig) -> [String] {
        guard config.value(of: "OF") == "y" else { return [] }
        return symbols.filter { config.value(of: $0) == "y" }.sorted()
    }
}
