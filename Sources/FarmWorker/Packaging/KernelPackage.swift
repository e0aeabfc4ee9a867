import Crypto
import FarmModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
        let tar = TarWriter { bytes in try compressor.compress(bytes, into: write) }
        var files: [ArtifactMetadata.File] = []
        let root = staging.standardizedFileURL.path
        for path in paths {
            var hash = SHA256()
            var size = 0
            try tar.addFile(path, from: root + "/" + path) { chunk in
                hash.update(bufferPointer: chunk)
                size += chunk.count
            }
            files.append(.init(path: path, size: size, sha256: ContentHash.hex(hash.finalize())))
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
        let packaged = PackagedArtifact(archiveName: archive.lastPathComponent, sha256: ContentHash.hex(archiveHash.finalize()),
                                        size: archiveSize, metadata: metadata)
        try packaged.save(in: destination)
        return packaged
    }

    /// Regular files under `root`, relative, sorted: archives of the same inputs are the same bytes.
    public static func files(under root: URL) throws -> [String] {
        var paths: [String] = []
        try collectFiles(in: root.standardizedFileURL.path, prefix: "", into: &paths)
        return paths.sorted()
    }

    /// Walks `directory` with readdir's entry types: no stat per file.
    private static func collectFiles(in directory: String, prefix: String, into paths: inout [String]) throws {
        guard let stream = opendir(directory) else { throw CheckFailed("cannot list \(directory): \(String(cString: strerror(errno)))") }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var type = Int32(entry.pointee.d_type)
            if type == Int32(DT_UNKNOWN) {  // filesystems that do not say: ask
                var status = stat()
                guard lstat(directory + "/" + name, &status) == 0 else { continue }
                type = (status.st_mode & S_IFMT) == S_IFREG ? Int32(DT_REG) : (status.st_mode & S_IFMT) == S_IFDIR ? Int32(DT_DIR) : 0
            }
            switch type {
            case Int32(DT_REG): paths.append(prefix + name)
            case Int32(DT_DIR): try collectFiles(in: directory + "/" + name, prefix: prefix + name + "/", into: &paths)
            default: break  // links, devices: not part of an artifact
            }
        }
    }
}
