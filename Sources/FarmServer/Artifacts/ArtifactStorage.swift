import Crypto
import FarmModel
import Foundation
import Hummingbird
import _NIOFileSystem

/// Where artifact tarballs are kept, by the sha256 of their bytes. The
/// filesystem directory is the first; an object store answers the same
/// three questions.
public protocol ArtifactStorage: Sendable {
    /// Stores `body` under `sha256` if its bytes hash to it and number at
    /// most `maxSize`; the bytes never become visible otherwise. Returns how many bytes were stored.
    func store(_ body: RequestBody, sha256: String, maxSize: Int) async throws -> Int
    /// The stored size, nil when nothing is stored under `sha256`.
    func size(of sha256: String) async throws -> Int?
    /// The stored bytes in `range`, streamed.
    func read(_ sha256: String, range: ClosedRange<Int>) -> ResponseBody
    /// The digests stored, and the partial uploads left behind, last written before `date`.
    func written(before date: Date) async throws -> (blobs: [String], partial: [String])
    /// Drops what is stored under `sha256`, or a partial upload by its name.
    func remove(_ sha256: String) async throws
    func removePartial(_ name: String) async throws
}

/// What storing or reading an artifact can go wrong with.
public enum ArtifactStorageError: Error, Equatable {
    /// The bytes hash to `actual`, not to the name they were sent under.
    case digestMismatch(expected: String, actual: String, size: Int)
    /// More bytes came than the store takes.
    case tooLarge(limit: Int)
}

/// Artifacts as files under a directory: `sha256/ab/abcdef…`. An upload is
/// written to `incoming/` while it is hashed, then renamed into place when
/// its digest matches (and dropped when it does not), so a reader never
/// sees a partial or wrong file. Identical uploads land on the same file.
public struct FileArtifactStorage: ArtifactStorage {
    public let root: URL
    private let fileSystem = FileSystem.shared

    public init(root: URL) throws {
        self.root = root
        for directory in ["incoming", "sha256"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
    }

    func path(of sha256: String) -> URL {
        root.appendingPathComponent("sha256").appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }

    public func store(_ body: RequestBody, sha256: String, maxSize: Int) async throws -> Int {
        let incoming = root.appendingPathComponent("incoming").appendingPathComponent(UUID().uuidString.lowercased())
        var hash = SHA256()
        var size = 0
        do {
            try await fileSystem.withFileHandle(forWritingAt: .init(incoming.path), options: .newFile(replaceExisting: false)) {
                handle in
                try await handle.withBufferedWriter { writer in
                    for try await buffer in body {
                        size += buffer.readableBytes
                        guard size <= maxSize else { throw ArtifactStorageError.tooLarge(limit: maxSize) }
                        buffer.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
                        try await writer.write(contentsOf: buffer)
                    }
                }
            }
            let actual = ContentHash.hex(hash.finalize())
            guard actual == sha256 else {
                throw ArtifactStorageError.digestMismatch(expected: sha256, actual: actual, size: size)
            }
            let destination = path(of: sha256)
            try? await fileSystem.createDirectory(at: .init(destination.deletingLastPathComponent().path),
                                                  withIntermediateDirectories: true)
            try await fileSystem.replaceItem(at: .init(destination.path), withItemAt: .init(incoming.path))
            return size
        } catch {
            _ = try? await fileSystem.removeItem(at: .init(incoming.path))
            throw error
        }
    }

    public func size(of sha256: String) async throws -> Int? {
        try await fileSystem.info(forFileAt: .init(path(of: sha256).path)).map { Int($0.size) }
    }

    public func written(before date: Date) async throws -> (blobs: [String], partial: [String]) {
        let shelves = try files(in: root.appendingPathComponent("sha256"))
        return (try shelves.flatMap { try old(in: $0, before: date) }.filter(ContentHash.isValid),
                try old(in: root.appendingPathComponent("incoming"), before: date))
    }

    private func files(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.contentModificationDateKey])
    }

    /// Names of the regular files in `directory` last modified before `date`.
    private func old(in directory: URL, before date: Date) throws -> [String] {
        try files(in: directory).filter { file in
            let values = try file.resourceValues(forKeys: [.contentModificationDateKey, .isRegularFileKey])
            return values.isRegularFile == true && (values.contentModificationDate ?? .distantFuture) < date
        }.map(\.lastPathComponent)
    }

    public func remove(_ sha256: String) async throws {
        _ = try await fileSystem.removeItem(at: .init(path(of: sha256).path))
    }

    public func removePartial(_ name: String) async throws {
        _ = try await fileSystem.removeItem(at: .init(root.appendingPathComponent("incoming").appendingPathComponent(name).path))
    }

    public func read(_ sha256: String, range: ClosedRange<Int>) -> ResponseBody {
        let path = path(of: sha256).path
        return ResponseBody(contentLength: range.count) { [fileSystem] writer in
            try await fileSystem.withFileHandle(forReadingAt: .init(path)) { handle in
                for try await chunk in handle.readChunks(in: Int64(range.lowerBound)...Int64(range.upperBound),
                                                         chunkLength: .kibibytes(256)) {
                    try await writer.write(chunk)
                }
            }
            try await writer.finish(nil)
        }
    }
}
