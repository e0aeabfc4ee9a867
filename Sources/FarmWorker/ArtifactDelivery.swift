import FarmMachine
import FarmModel
import Foundation

/// A build attempt's dealings with the artifact store: asking the build
/// cache whether its inputs were built before, and uploading what it packed.
public struct ArtifactDelivery: Sendable {
    let client: FarmClient
    let buildID: UUID
    let claim: BuildClaim

    public init(client: FarmClient, buildID: UUID, claim: BuildClaim) {
        self.client = client
        self.buildID = buildID
        self.claim = claim
    }

    /// The artifact of the same inputs, with which the build has just been completed; nil: build it.
    func reuse(inputKey: String) async throws -> ArtifactRecord? {
        try await client.reuse(buildID, CacheLookup(workerId: claim.workerId, attempt: claim.attempt, inputKey: inputKey))
    }

    /// Uploads the tarball and its packages (streamed; the server checks
    /// their sha256) and records them as the build's artifact, with the resolved .config when the build has one.
    func deliver(_ artifact: PackagedArtifact, from directory: URL, keys: CacheKeys, kconfig: String?) async throws
        -> ArtifactRecord {
        let files = [(artifact.archive(in: directory), artifact.sha256, artifact.size)]
            + artifact.packages(in: directory).map { ($0.file, $0.package.sha256, $0.package.size) }
        for (file, sha256, size) in files {
            try await client.uploadBlob(file, sha256: sha256, size: size, for: (buildID, claim))
            WorkerMetrics.uploaded(bytes: size)
        }
        return try await client.recordArtifact(buildID, ArtifactUpload(
            workerId: claim.workerId, attempt: claim.attempt, sha256: artifact.sha256, size: artifact.size,
            inputKey: keys.input, planKey: keys.plan, metadata: artifact.metadata, kconfig: kconfig))
    }
}

/// A build's two build-cache keys (see `BuildRecipe.planKey` and `inputKey`).
struct CacheKeys {
    var plan: String?
    var input: String?
}
