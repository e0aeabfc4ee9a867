import Crypto
import FarmMachine
import FarmModel
import Foundation

/// Checks a downloaded artifact before anything of it is unpacked: its
/// bytes hash to the order's sha256, and the farm's signature over its
/// provenance is valid under the key the agent trusts and names this
/// artifact with this sha256 and size. An order forged on the broker, or a
/// tarball altered in the store or on the way, fails here.
struct ArtifactVerifier: Sendable {
    /// The farm's raw Ed25519 public key.
    let trustedKey: Data

    func verify(_ file: URL, for order: DeploymentOrder) throws -> ArtifactProvenance {
        let actual = try FileHash.sha256(of: file)
        guard actual == order.sha256 else {
            throw AgentError.verification("the download hashes to \(actual), the order names \(order.sha256)")
        }
        return try provenance(of: order)
    }

    /// The order's provenance statement, once its signature and its contents check out.
    func provenance(of order: DeploymentOrder) throws -> ArtifactProvenance {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: trustedKey),
              let statement = Data(base64Encoded: order.signature.statement),
              let signature = Data(base64Encoded: order.signature.value),
              key.isValidSignature(signature, for: statement) else {
            throw AgentError.verification("the provenance signature is not valid under the trusted farm key")
        }
        guard let provenance = try? JSONDecoder.iso8601.decode(ArtifactProvenance.self, from: statement),
              provenance.schema == ArtifactProvenance.schema else {
            throw AgentError.verification("the signed statement is not a kfarm provenance statement")
        }
        guard provenance.sha256 == order.sha256, provenance.artifactId == order.artifact.id,
              provenance.size == order.size else {
            throw AgentError.verification("the signed provenance is for artifact \(provenance.artifactId.lowercased) "
                                          + "(sha256 \(provenance.sha256)), not for this order's")
        }
        return provenance
    }
}
