import Foundation

/// The artifact store of `kfarm serve`: where tarballs are kept, and the
/// key their provenance is signed with.
public struct ArtifactShelf: Sendable {
    public let storage: any ArtifactStorage
    public let signer: ProvenanceSigner

    public init(storage: any ArtifactStorage, signer: ProvenanceSigner) {
        self.storage = storage
        self.signer = signer
    }

    /// Files under `directory` (`sha256/…`) and the signing key in `keyFile`
    /// (default `<directory>/signing-key`), created on first use.
    public static func directory(_ directory: URL, keyFile: URL? = nil) throws -> ArtifactShelf {
        ArtifactShelf(storage: try FileArtifactStorage(root: directory),
                      signer: try ProvenanceSigner.load(from: keyFile ?? directory.appendingPathComponent("signing-key")))
    }
}
