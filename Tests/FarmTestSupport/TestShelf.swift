import FarmServer
import Foundation

extension ArtifactShelf {
    /// A fresh artifact directory with its own signing key, under the system's temporary directory.
    public static func forTests() throws -> ArtifactShelf {
        try .directory(FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-artifacts-\(UUID().uuidString)"))
    }
}
