import ArgumentParser
import FarmWorker
import Foundation

/// Where the kernel recipe finds its sources and data: `kfarm worker` and `kfarm bench kconfig`.
struct KernelRecipeOptions: ParsableArguments {
    @Option(help: "Where the linux-source-<series>.tar.xz tarballs are (Debian's linux-source-6.1 puts one there).")
    var kernelSources = "/usr/src"

    @Option(help: "Where kernel sources are unpacked (git sources: fetched and exported) once and shared read-only by builds.")
    var sourceCache = "/tmp/kfarm-kernel-sources"

    @OptionGroup var git: GitSourceOptions

    @Option(help: "Seconds after which a git fetch (its wait for the repository's mirror lock included) is stopped and the build fails.")
    var gitFetchTimeout = 1800

    @Option(help: "The kernel recipe's data: boot.config (Kconfig every kernel gets to boot to a console), the boot test's init.c and hello module.")
    var kernelData = "workers/kernel"

    var sources: DebianKernelSource {
        DebianKernelSource(tarballs: URL(fileURLWithPath: kernelSources), cache: URL(fileURLWithPath: sourceCache))
    }

    func recipe(compressionLevel: Int32 = KernelPackage.defaultLevel) -> KernelRecipe {
        KernelRecipe(sources: sources,
                     git: GitKernelSource(cache: URL(fileURLWithPath: sourceCache).appendingPathComponent("git"), allowed: git.allowList,
                                          fetchTimeout: .seconds(gitFetchTimeout)),
                     data: URL(fileURLWithPath: kernelData), compressionLevel: compressionLevel)
    }
}
