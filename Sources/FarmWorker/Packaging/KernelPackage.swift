import Crypto
import FarmModel
import Foundation
import Zstd

/// Packs a build's staging directory (image, System.map, .config, modules)
/// and its `metadata.json` into `linux-<release>-<config>-<arch>.tar.zst`,
/// streamed: files pass through the tar writer and zstd in chunks, never
/// whole in memory. Describes the result in `artifact.json` beside it.
public struct KernelPackage: Sendable {
    public let staging: URL
    public let destination: URL
    /// zstd's level; the tarball is compressed by one thread per core.
    public let level: Int32
    public static let defaultLevel: Int32 = 3

    public init(staging: URL, destination: URL, level: Int32 = KernelPackage.defaultLevel) {
        self.staging = staging
        self.destination = destination
        self.level = level
    }

    public func write(_ describe: (_ files: [ArtifactMetadata.File]) throws -> ArtifactMetadata) throws -> PackagedArtifact {
        let paths = try Self.files(under: staging)
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        let partial = destination.appendingPathComponent("artifact.partial")
        FileManager.default.createFile(atPath: partial.path, contents: nil)
        let output = try FileHandle(forWritingTo: partial)
        defer { try? output.close() }
        let compressor = try ZstdCompressor(.init(level: level, workers: Int32(max(1, ProcessInfo.processInfo.activeProcessorCount))))
        var archiveHash = SHA256()
        var archiveSize = 0
        let write: (UnsafeRawBufferPointer) throws -> Void = { bytes in
            archiveHash.update(bufferPointer: bytes)
            archiveSize += bytes.count
            try output.write(contentsOf: Data(bytes))
        }
        let tar = TarWriter { bytes in try bytes.withUnsafeBytes { try compressor.compress($0, into: write) } }
        var files: [ArtifactMetadata.File] = []
        for path in paths {
            var hash = SHA256()
            var size = 0
            try tar.addFile(path, from: staging.appendingPathComponent(path)) { chunk in
                hash.update(data: chunk)
                size += chunk.count
            }
            files.append(.init(path: path, size: size, sha256: Self.hex(hash.finalize())))
        }
        let metadata = try describe(files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try tar.addFile("metadata.json", contents: Array(try encoder.encode(metadata)))
        try tar.finish()
        try compressor.finish(into: write)
        try output.close()
        let archive = destination.appendingPathComponent(metadata.artifactName)
        try? FileManager.default.removeItem(at: archive)
        try FileManager.default.moveItem(at: partial, to: archive)
        let packaged = PackagedArtifact(archiveName: archive.lastPathComponent, sha256: Self.hex(archiveHash.finalize()),
                                        size: archiveSize, metadata: metadata)
        try packaged.save(in: destination)
        return packaged
    }

    /// Regular files under `root`, relative, sorted: archives of the same inputs are the same bytes.
    public static func files(under root: URL) throws -> [String] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var paths: [String] = []
        for case let url as URL in walker where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            paths.append(String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)))
        }
        return paths.sorted()
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(of file: URL) throws -> String {
        var hash = SHA256()
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hash.update(data: data) }
        return hex(hash.finalize())
    }
}
