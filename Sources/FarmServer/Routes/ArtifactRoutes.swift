import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// Kernel artifacts: workers upload tarballs (content-addressed, verified
/// against their sha256), record them against the build they hold, and ask
/// the build cache; members list, read and download them; anyone may fetch
/// the public key their provenance is signed with.
struct ArtifactRoutes {
    let store: Store
    let access: AccessPolicy
    let shelf: ArtifactShelf
    /// The largest tarball taken (413 beyond), by Content-Length and while streaming.
    let maxBlobSize: Int

    /// `POST /builds/{id}/artifact` bodies carry the metadata of every file (modules included).
    static let maxRecordSize = 16 << 20

    var endpoints: [Endpoint] {
        [
            // Only a worker holding a running attempt uploads, naming it in the query
            // (`build`, `workerId`, `attempt`), so no worker token fills the store at will.
            Endpoint(.put, "/artifact-blobs/:sha256", .worker) { request, context in
                let sha256 = try hashParameter(context)
                let (build, claim) = try Self.holder(request)
                try await store.workers.checkHeld(build, claim, token: try context.requireWorkerToken())
                let tooLarge = APIError(status: .contentTooLarge, code: .payloadTooLarge,
                                        message: "A tarball may have at most \(maxBlobSize) bytes")
                if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBlobSize { throw tooLarge }
                do {
                    let size = try await shelf.storage.store(request.body, sha256: sha256, maxSize: maxBlobSize)
                    return try Response.success(StoredBlob(sha256: sha256, size: size), status: .created)
                } catch ArtifactStorageError.digestMismatch(_, let actual, let size) {
                    throw ValidationError(field: "body", "the \(size) bytes sent hash to \(actual), not to the sha256 in the path")
                } catch ArtifactStorageError.tooLarge {
                    throw tooLarge
                }
            },
            Endpoint(.post, "/builds/:id/artifact", .worker) { request, context in
                let upload = try await request.decodeJSON(as: ArtifactUpload.self, context: context, limit: Self.maxRecordSize)
                try upload.validate(build: try context.uuid("id"))
                try await requireStored(upload.sha256, size: upload.size, fields: ("sha256", "size"), what: "tarball")
                for (index, package) in (upload.metadata.packages ?? []).enumerated() {
                    try await requireStored(package.sha256, size: package.size,
                                            fields: ("metadata.packages[\(index)].sha256", "metadata.packages[\(index)].size"),
                                            what: package.name)
                }
                let artifact = try await store.artifacts.record(
                    upload, build: try context.uuid("id"), token: try context.requireWorkerToken(),
                    storageKey: "sha256/\(upload.sha256)", sign: shelf.signer.sign)
                return try Response.success(artifact, status: .created)
            },
            Endpoint(.post, "/builds/:id/cache-hit", .worker) { request, context in
                let lookup = try await request.decodeJSON(as: CacheLookup.self, context: context)
                guard let artifact = try await store.artifacts.reuse(
                    lookup, build: try context.uuid("id"), token: try context.requireWorkerToken()) else {
                    throw APIError.notFound("artifact", lookup.inputKey)
                }
                return try Response.success(artifact)
            },
            Endpoint(.get, "/artifacts", .user) { request, context in
                let page = try await store.artifacts.list(try Self.filter(request), visibleTo: try context.requireUser(),
                                                          page: try request.pageRequest())
                return try Response.success(Listing(key: "artifacts", page: page))
            },
            Endpoint(.get, "/artifacts/:id", .project(.viewer)) { _, context in
                let id = try await visibleArtifact(context)
                guard let artifact = try await store.artifacts.find(id: id) else { throw APIError.notFound("artifact", id.lowercased) }
                return try Response.success(artifact)
            },
            Endpoint(.get, "/artifacts/:id/download", .project(.viewer)) { request, context in
                let id = try await visibleArtifact(context)
                guard let content = try await store.artifacts.content(of: id) else {
                    throw APIError.notFound("artifact", id.lowercased)
                }
                return try await ArtifactDownload(artifactID: id, name: content.name, sha256: content.sha256, size: content.size)
                    .response(to: request, from: shelf.storage, logger: context.logger)
            },
            Endpoint(.get, "/artifacts/:id/packages/:name", .project(.viewer)) { request, context in
                let id = try await visibleArtifact(context)
                let name = context.parameters.get("name") ?? ""
                guard let package = try await store.artifacts.package(name, of: id) else { throw APIError.notFound("package", name) }
                return try await ArtifactDownload(artifactID: id, name: package.name, sha256: package.sha256, size: package.size,
                                                  contentType: "application/vnd.debian.binary-package")
                    .response(to: request, from: shelf.storage, logger: context.logger)
            },
            Endpoint(.get, "/signing-key", .open) { _, _ in
                try Response.success(shelf.signer.publicKey)
            },
        ]
    }

    /// Refuses to record a file the store does not hold with exactly `size` bytes.
    private func requireStored(_ sha256: String, size: Int, fields: (hash: String, size: String), what: String) async throws {
        guard let stored = try await shelf.storage.size(of: sha256) else {
            throw ValidationError(field: fields.hash, "no \(what) is stored under this sha256: PUT /artifact-blobs/{sha256} first")
        }
        guard stored == size else {
            throw ValidationError(field: fields.size, "the \(what) stored under this sha256 has \(stored) bytes")
        }
    }

    /// The build attempt an upload is for, from its query.
    private static func holder(_ request: Request) throws -> (build: UUID, claim: BuildClaim) {
        var validator = Validator()
        let attempt = request.integer("attempt", in: 1...1000, default: 0, into: &validator)
        try validator.finish()
        let build = try request.query("build", expected: "a UUID", UUID.init(uuidString:))
        let worker = try request.query("workerId", expected: "a UUID", UUID.init(uuidString:))
        guard let build, let worker, attempt > 0 else {
            throw ValidationError(field: "build", "build, workerId and attempt are required: the build attempt this worker holds")
        }
        return (build, BuildClaim(workerId: worker, attempt: attempt))
    }

    private func hashParameter(_ context: FarmRequestContext) throws -> String {
        let sha256 = context.parameters.get("sha256") ?? ""
        guard ContentHash.isValid(sha256) else {
            throw ValidationError(field: "sha256", "must be a sha256 digest: 64 lowercase hex digits")
        }
        return sha256
    }

    /// The artifact named by `:id`, if the caller has the endpoint's role in its project.
    private func visibleArtifact(_ context: FarmRequestContext) async throws -> UUID {
        try await access.visible("artifact", context, project: store.artifacts.project(ofArtifact:))
    }

    private static func filter(_ request: Request) throws -> ArtifactRepository.Filter {
        let uuid = "a UUID"
        return ArtifactRepository.Filter(
            configurationID: try request.query("config", expected: uuid, UUID.init(uuidString:)),
            versionID: try request.query("version", expected: uuid, UUID.init(uuidString:)),
            architecture: try request.query(
                "arch", expected: "one of: \(Architecture.allowedValues.joined(separator: ", "))", Architecture.init(rawValue:)),
            buildID: try request.query("build", expected: uuid, UUID.init(uuidString:)),
            kernelRelease: try request.query("kernelRelease", expected: "a kernel release such as 6.1.158") {
                ContentHash.releaseRule.problem(with: $0) == nil ? $0 : nil
            },
            initiatorID: try request.query("initiator", expected: uuid, UUID.init(uuidString:)),
            createdAfter: try request.query("createdAfter", expected: Timestamp.expected, Timestamp.parse),
            createdBefore: try request.query("createdBefore", expected: Timestamp.expected, Timestamp.parse))
    }
}
