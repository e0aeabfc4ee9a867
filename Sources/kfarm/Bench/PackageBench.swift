import ArgumentParser
import FarmModel
import FarmWorker
import Foundation

/// Packs a staging tree as a build's packaging stage does (tar, zstd with
/// one thread per core, sha256 of every file and of the tarball):
/// scripts/bench-kernel.sh times `tar | zstd -3 -T0` on the same tree.
struct PackageBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package", abstract: "Pack a staging tree into an artifact tarball, timed.")

    @Option(help: "The staging tree (a kept workspace's staging/, or any directory).")
    var staging: String

    @Option(help: "Where the tarball goes.")
    var output: String

    @Option(help: "zstd level.")
    var level: Int32 = KernelPackage.defaultLevel

    func run() throws {
        let staging = URL(fileURLWithPath: staging)
        let files = try KernelPackage.files(under: staging)
        let bytes = try files.reduce(0) { total, path in
            total + ((try FileManager.default.attributesOfItem(atPath: staging.appendingPathComponent(path).path)[.size] as? Int) ?? 0)
        }
        let started = ContinuousClock.now
        let packaged = try KernelPackage(staging: staging, destination: URL(fileURLWithPath: output), level: level).write { files in
            ArtifactMetadata(
                buildId: UUID(), buildNumber: "BUILD-2026-01-01-001", configuration: ConfigurationRef(id: UUID(), name: "bench"),
                configVersion: VersionRef(id: UUID(), version: "1.0.0"), architecture: .x86_64, toolchain: "bench",
                options: BuildOptions(), baseVersion: "6.1", kernelRelease: "bench", configSha256: "", imageSize: 0, files: files)
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        let mb = Double(bytes) / 1_000_000
        print(String(format: "packaging: %d files, %.1f MB in %.2f s = %.0f MB/s; tarball %.1f MB; peak RSS %d MiB",
                     files.count, mb, seconds, mb / seconds, Double(packaged.size) / 1_000_000, PeakMemory.mebibytes))
        print(String(format: "BENCH package_mb_s=%.1f package_seconds=%.3f", mb / seconds, seconds))
    }
}
