import Crypto
import FarmModel
import Foundation

/// A file's SHA-256, read in 1 MiB chunks: artifacts and their files, source tarballs, configurations.
public enum FileHash {
    public static func sha256(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        return try sha256(of: handle)
    }

    /// The SHA-256 of what is left to read of `handle`, e.g. a file a build wrote, opened without following links.
    public static func sha256(of handle: FileHandle) throws -> String {
        var hash = SHA256()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hash.update(data: data) }
        return ContentHash.hex(hash.finalize())
    }
}
