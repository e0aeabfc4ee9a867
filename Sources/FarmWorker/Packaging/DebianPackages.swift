import Crypto
import FarmModel
import Foundation

/// The `.deb` files `make bindeb-pkg` leaves in the object tree's parent
/// (`Workspace.work`), copied out of the build's reach into the artifact
/// directory with their sha256, read as `Workspace.openRegularFile` allows:
/// a link the build left there reads nothing of the host.
enum DebianPackages {
    /// The largest package copied out (the server's default upload cap):
    /// a sparse file of a terabyte costs a build nothing and the worker's disk everything.
    static let maxSize = 2 << 30

    static func collect(from workspace: Workspace) throws -> [ArtifactMetadata.Package] {
        let names = try FileManager.default.contentsOfDirectory(atPath: workspace.work.path).filter { $0.hasSuffix(".deb") }.sorted()
        guard !names.isEmpty else { throw CheckFailed("make bindeb-pkg left no .deb beside the object tree") }
        guard names.count <= ArtifactMetadata.maxPackages else { throw CheckFailed("make bindeb-pkg left \(names.count) .deb files") }
        let destination = PackagedArtifact.packagesDirectory(in: workspace.artifactDirectory)
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        return try names.map { name in
            if let problem = PackageFormat.fileNameRule.problem(with: name) { throw CheckFailed("\(name): \(problem)") }
            let source = try workspace.openRegularFile(workspace.work.appendingPathComponent(name))
            let declared = try source.seekToEnd()
            try source.seek(toOffset: 0)
            guard declared <= UInt64(Self.maxSize) else { throw CheckFailed("\(name) has \(declared) bytes, more than \(Self.maxSize)") }
            let target = destination.appendingPathComponent(name)
            FileManager.default.createFile(atPath: target.path, contents: nil)
            let output = try FileHandle(forWritingTo: target)
            defer { try? output.close() }
            var hash = SHA256()
            var size = 0
            while let chunk = try source.read(upToCount: 1 << 20), !chunk.isEmpty {
                hash.update(data: chunk)
                size += chunk.count
                guard size <= Self.maxSize else { throw CheckFailed("\(name) grew past \(Self.maxSize) bytes") }
                try output.write(contentsOf: chunk)
            }
            return ArtifactMetadata.Package(name: name, size: size, sha256: ContentHash.hex(hash.finalize()))
        }
    }
}
