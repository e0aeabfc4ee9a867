import Crypto
import FarmModel
import Foundation

/// The `.deb` files `make bindeb-pkg` leaves in the object tree's parent
/// (`Workspace.work`), copied out of the build's reach into the artifact
/// directory with their sha256, read as `Workspace.openRegularFile` allows:
/// a link the build left there reads nothing of the host.
enum DebianPackages {
    static func collect(from workspace: Workspace) throws -> [ArtifactMetadata.Package] {
        let names = try FileManager.default.contentsOfDirectory(atPath: workspace.work.path).filter { $0.hasSuffix(".deb") }.sorted()
        guard !names.isEmpty else { throw CheckFailed("make bindeb-pkg left no .deb beside the object tree") }
        guard names.count <= ArtifactMetadata.maxPackages else { throw CheckFailed("make bindeb-pkg left \(names.count) .deb files") }
        let destination = PackagedArtifact.packagesDirectory(in: workspace.artifactDirectory)
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        return try names.map { name in
            if let problem = PackageFormat.fileNameRule.problem(with: name) { throw CheckFailed("\(name): \(problem)") }
            let source = try workspace.openRegularFile(workspace.work.appendingPathComponent(name))
            let target = destination.appendingPathComponent(name)
            FileManager.default.createFile(atPath: target.path, contents: nil)
            let output = try FileHandle(forWritingTo: target)
            defer { try? output.close() }
            var hash = SHA256()
            var size = 0
            while let chunk = try source.read(upToCount: 1 << 20), !chunk.isEmpty {
                hash.update(data: chunk)
                size += chunk.count
                try output.write(contentsOf: chunk)
            }
            return ArtifactMetadata.Package(name: name, size: size, sha256: ContentHash.hex(hash.finalize()))
        }
    }
}
