import FarmModel
import Foundation

/// A packed artifact waiting in the attempt's `artifact/` directory to be
/// uploaded: the tarball, its sha256 and size, and its metadata (which
/// lists the packages waiting in `artifact/packages/`). Packaging
/// writes it as `artifact.json` beside the tarball; the upload reads it.
public struct PackagedArtifact: Codable, Sendable, Equatable {
    public var archiveName: String
    public var sha256: String
    public var size: Int
    public var metadata: ArtifactMetadata

    static let descriptorName = "artifact.json"

    /// The artifact packed into `directory`, nil when there is none.
    public static func load(from directory: URL) throws -> PackagedArtifact? {
        let descriptor = directory.appendingPathComponent(descriptorName)
        guard FileManager.default.fileExists(atPath: descriptor.path) else { return nil }
        return try JSONDecoder().decode(PackagedArtifact.self, from: Data(contentsOf: descriptor))
    }

    func save(in directory: URL) throws {
        try JSONEncoder().encode(self).write(to: directory.appendingPathComponent(Self.descriptorName), options: .atomic)
    }

    public func archive(in directory: URL) -> URL {
        directory.appendingPathComponent(archiveName)
    }

    static func packagesDirectory(in directory: URL) -> URL {
        directory.appendingPathComponent("packages")
    }

    /// The packages' files, each with what the metadata says of it.
    public func packages(in directory: URL) -> [(file: URL, package: ArtifactMetadata.Package)] {
        (metadata.packages ?? []).map { (Self.packagesDirectory(in: directory).appendingPathComponent($0.name), $0) }
    }
}
