import FarmMachine
import FarmModel
import Foundation

/// Downloads an artifact into a folder, as `NAME.part` until it is whole
/// (so a cut download resumes from where it stopped, with `Range`), and
/// checks it before it takes its name: always its sha256; with `verify`
/// also the farm's signature over its provenance, as a deployment agent
/// does, under a key given or the one pinned for this farm. A whole part
/// that fails its checks is removed, so the next try starts afresh. With
/// `packages`, its Debian packages follow the same way, each checked
/// against the sha256 the (verified) provenance names.
struct ArtifactFetch {
    let farm: FarmClient
    var verify: Bool
    /// A file with the farm's public key (base64 or PEM); else the pinned one.
    var keyFile: URL?
    var packages = false

    /// The artifact `id`, which the farm's record must be: with `verify`,
    /// the signed provenance names that id and the record's name. The
    /// tarball's file, then its packages'.
    func download(_ id: UUID, into folder: URL) async throws -> [URL] {
        let artifact: ArtifactRecord = try await farm.get("/artifacts/\(id.lowercased)")
        guard artifact.id == id else {
            throw MachineError.verification("asked for artifact \(id.lowercased), the farm answered with \(artifact.id.lowercased)")
        }
        var attested: [ArtifactMetadata.Package] = []
        let archive = try await fetch("/artifacts/\(id.lowercased)/download", named: artifact.name, size: artifact.size,
                                      into: folder) { file in
            attested = try await check(file, against: artifact)
        }
        guard packages else { return [archive] }
        var files = [archive]
        for package in attested {
            if let problem = PackageFormat.fileNameRule.problem(with: package.name) {
                throw MachineError.verification("the package name \(package.name.debugDescription) \(problem)")
            }
            files.append(try await fetch("/artifacts/\(id.lowercased)/packages/\(package.name)", named: package.name,
                                         size: package.size, into: folder) { file in
                guard try FileHash.sha256(of: file) == package.sha256 else {
                    throw MachineError.verification("\(package.name) does not hash to the sha256 its artifact names, \(package.sha256)")
                }
            })
        }
        return files
    }

    /// `path` downloaded into `folder` as `name` (resumed from `name.part`), once `check` passes.
    private func fetch(_ path: String, named name: String, size: Int, into folder: URL,
                       check: (URL) async throws -> Void) async throws -> URL {
        // The name comes from the server: one plain file name, or nothing is written.
        guard !name.isEmpty, name.count <= 255, name != ".", name != "..",
              !name.contains(where: { $0 == "/" || $0 == "\0" || $0.isNewline }) else {
            throw MachineError.verification("the name \(name.debugDescription) is not a plain file name")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(name)
        let partial = folder.appendingPathComponent(name + ".part")
        let present = (try? FileManager.default.attributesOfItem(atPath: partial.path)[.size]) as? Int ?? 0
        if present > size { try FileManager.default.removeItem(at: partial) }
        if present != size {
            _ = try await farm.download(path, to: partial, resume: true)
        }
        do {
            try await check(partial)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
        // rename(2) replaces a file of that name and never a directory.
        guard rename(partial.path, file.path) == 0 else {
            throw ClientFailure.usage("cannot put the download at \(file.path): \(String(cString: strerror(errno)))")
        }
        return file
    }

    /// The tarball's checks; the packages it vouches for.
    private func check(_ file: URL, against artifact: ArtifactRecord) async throws -> [ArtifactMetadata.Package] {
        if verify {
            let provenance = try ArtifactVerifier(trustedKey: try await trustedKey()).verify(file, for: ArtifactClaim(artifact))
            guard provenance.name == artifact.name else {
                throw MachineError.verification("the signed provenance names \(provenance.name), the record \(artifact.name)")
            }
            return provenance.packages ?? []
        }
        guard try FileHash.sha256(of: file) == artifact.sha256 else {
            throw MachineError.verification("the download does not hash to the artifact's sha256 \(artifact.sha256)")
        }
        return artifact.metadata.packages ?? []
    }

    /// The key artifacts must be signed with: the given file's, the pinned
    /// one, or (first use) the farm's own, pinned from then on.
    private func trustedKey() async throws -> Data {
        if let keyFile { return try SigningKeyText.read(keyFile) }
        var config = try ClientConfig.load()
        let farmURL = farm.baseURL.absoluteString
        if let pinned = config.pinnedKeys[farmURL], let key = SigningKeyText.rawKey(pinned) { return key }
        let (key, raw) = try await farm.signingKey()
        config.pinnedKeys[farmURL] = key.publicKey
        try config.save()
        Output.message("pinned \(farmURL)'s signing key \(key.keyId) in \(ClientConfig.file.path)")
        return raw
    }
}
