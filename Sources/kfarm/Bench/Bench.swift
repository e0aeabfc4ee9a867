import ArgumentParser

/// The benchmarks: each prints figures (and `BENCH key=value` lines for
/// scripts); none asserts anything about speed.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: a running farm (default), zstd streaming, artifact packaging, module catalog and Kconfig resolution.",
        subcommands: [FarmBench.self, ZstdBench.self, PackageBench.self, KconfigBench.self, GitSourceBench.self],
        defaultSubcommand: FarmBench.self)
}
