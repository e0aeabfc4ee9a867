import FarmMachine
import FarmModel
@testable import FarmWorker
import Foundation
import Testing

/// The artifact archive: a ustar stream through zstd that the system's
/// `tar` and `zstd` read back byte for byte, with metadata.json last.
@Suite struct KernelPackageTests {
    @Test func theArchiveUnpacksWithTheSystemToolsToTheSameFilesAndHashes() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-package-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let staging = root.appendingPathComponent("staging")
        let deep = "lib/modules/6.1.192/kernel/drivers/some/rather/long/directory/names/that/go/past/one/hundred/chars"
        var noise: UInt64 = 42
        let contents: [String: [UInt8]] = [
            "boot/Image": (0..<1_500_000).map { _ in noise = noise &* 6_364_136_223_846_793_005 &+ 1; return UInt8(truncatingIfNeeded: noise >> 40) },
            "boot/config": Array("CONFIG_PRINTK=y\n".utf8),
            "boot/empty": [],
            "\(deep)/module.ko": Array(repeating: 7, count: 513),
        ]
        for (path, bytes) in contents {
            let url = staging.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let (build, configuration, version) = (UUID(), UUID(), UUID())
        func package(into name: String) throws -> (ArtifactMetadata, URL, String) {
            let destination = root.appendingPathComponent(name)
            let packaged = try KernelPackage(staging: staging, destination: destination).write { files in
                ArtifactMetadata(
                    buildId: build, buildNumber: "BUILD-2026-11-28-001", configuration: ConfigurationRef(id: configuration, name: "Edge GW"),
                    configVersion: VersionRef(id: version, version: "1.0.0"), architecture: .arm64, toolchain: "gcc-12.2.0",
                    options: BuildOptions(), baseVersion: "6.1.0", kernelRelease: "6.1.192",
                    configSha256: files.first { $0.path == "boot/config" }?.sha256 ?? "", imageSize: 0, files: files)
            }
            // The descriptor the upload reads says the same.
            #expect(try PackagedArtifact.load(from: destination) == packaged)
            return (packaged.metadata, packaged.archive(in: destination), packaged.sha256)
        }
        let (metadata, archive, sha256) = try package(into: "one")
        #expect(archive.lastPathComponent == "linux-6.1.192-edge-gw-arm64.tar.zst")
        #expect(try FileHash.sha256(of: archive) == sha256)
        #expect(try PackagedArtifact.load(from: archive.deletingLastPathComponent())?.size
                == (try FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int))
        #expect(metadata.files.map(\.path) == contents.keys.sorted())

        let unpacked = root.appendingPathComponent("unpacked")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        let status = try await CommandRunner.run(
            Command("tar", ["--zstd", "-xf", archive.path, "-C", unpacked.path]), onLines: { _ in })
        #expect(status == 0)
        for (path, bytes) in contents {
            #expect(Array(try Data(contentsOf: unpacked.appendingPathComponent(path))) == bytes, "\(path)")
            let file = try #require(metadata.files.first { $0.path == path })
            #expect(file.size == bytes.count)
            #expect(file.sha256 == (try FileHash.sha256(of: unpacked.appendingPathComponent(path))))
        }
        let stored = try JSONDecoder().decode(ArtifactMetadata.self,
                                              from: Data(contentsOf: unpacked.appendingPathComponent("metadata.json")))
        #expect(stored == metadata)
        // The same inputs make the same bytes (no timestamps, sorted entries).
        let (_, _, again) = try package(into: "two")
        #expect(again == sha256)
    }

    @Test func pathsUstarCannotHoldAreRefused() {
        #expect(throws: CheckFailed.self) { try TarWriter.header(path: String(repeating: "x", count: 101), size: 0, mode: 0o644) }
        #expect(throws: CheckFailed.self) {
            try TarWriter.header(path: String(repeating: "d", count: 156) + "/name", size: 0, mode: 0o644)
        }
    }
}
