import Crypto
import FarmModel
import Foundation

/// What an artifact is said to be, by a deployment order or by the API's
/// artifact record: its id, bytes and the farm's signature over its provenance.
public struct ArtifactClaim: Sendable {
    public var id: UUID
    public var sha256: String
    public var size: Int
    public var signature: ProvenanceSignature

    public init(_ order: DeploymentOrder) {
        (id, sha256, size, signature) = (order.artifact.id, order.sha256, order.size, order.signature)
    }

    public init(_ record: ArtifactRecord) {
        (id, sha256, size, signature) = (record.id, record.sha256, record.size, record.signature)
    }
}

/// Checks a downloaded artifact before anything of it is used: its bytes
/// hash to the claimed sha256, and the farm's signature over its
/// provenance is valid under the trusted key and names this artifact with
/// this sha256 and size. An order forged on the broker, a record altered
/// on the way, or a tarball altered in the store fails here.
public struct ArtifactVerifier: Sendable {
    /// The farm's raw Ed25519 public key.
    public let trustedKey: Data

    public init(trustedKey: Data) {
        self.trustedKey = trustedKey
    }

    public func verify(_ file: URL, for claim: ArtifactClaim) throws -> ArtifactProvenance {
        let actual = try FileHash.sha256(of: file)
        guard actual == claim.sha256 else {
            throw MachineError.verification("the download hashes to \(actual), the artifact is \(claim.sha256)")
        }
        return try provenance(of: claim)
    }

    /// The claim's provenance statement, once its signature and its contents check out.
    public func provenance(of claim: ArtifactClaim) throws -> ArtifactProvenance {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: trustedKey),
              let statement = Data(base64Encoded: claim.signature.statement),
              let signature = Data(base64Encoded: claim.signature.value),
              key.isValidSignature(signature, for: statement) else {
            throw MachineError.verification("the provenance signature is not valid under the trusted farm key")
        }
        guard let provenance = try? JSONDecoder.iso8601.decode(ArtifactProvenance.self, from: statement),
              provenance.schema == ArtifactProvenance.schema else {
            throw MachineError.verification("the signed statement is not a kfarm provenance statement")
        }
        guard provenance.sha256 == claim.sha256, provenance.artifactId == claim.id, provenance.size == claim.size else {
            throw MachineError.verification("the signed provenance is for artifact \(provenance.artifactId.lowercased) "
                                            + "(sha256 \(provenance.sha256)), not for this one")
        }
        return provenance
    }
}
