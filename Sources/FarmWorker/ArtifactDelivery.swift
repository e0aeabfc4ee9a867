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

    /// Uploads the tarball (streamed; the server checks its sha256) and
    /// records it as the build's artifact, with the resolved .config when the build has one.
    func deliver(_ artifact: PackagedArtifact, from directory: URL, keys: CacheKeys, kconfig: String?) async throws
        -> ArtifactRecord {
        try await client.uploadBlob(artifact.archive(in: directory), sha256: artifact.sha256, size: artifact.size,
                                    for: (buildID, claim))
        WorkerMetrics.uploaded(bytes: artifact.size)
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
