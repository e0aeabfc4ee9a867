import Crypto
import FarmMachine
import FarmModel
import Foundation
import Testing

@Suite struct ArtifactVerifierTests {
    let key = Curve25519.Signing.PrivateKey()
    let tarball = Data("a kernel tarball".utf8)
    var sha256: String { ContentHash.hex(SHA256.hash(data: tarball)) }

    /// An order for the tarball, its provenance (for `artifactID`, `sha256`) signed by `signer`.
    func order(artifactID: UUID = UUID(), statementSha256: String? = nil, signer: Curve25519.Signing.PrivateKey? = nil) throws
        -> DeploymentOrder {
        let provenance = ArtifactProvenance(
            artifactId: artifactID, name: "linux.tar.zst", sha256: statementSha256 ?? sha256, size: tarball.count,
            architecture: .arm64, kernelRelease: "6.1.1", build: BuildRef(id: UUID(), buildNumber: "1"),
            config: NamedRef(id: UUID(), name: "c"), configVersion: VersionRef(id: UUID(), version: "1.0.0"),
            initiator: UserRef(id: UUID(), username: "u"), toolchain: "gcc", metadataSha256: sha256, signedAt: Date())
        let statement = try provenance.canonicalJSON()
        let signature = ProvenanceSignature(keyId: "k", statement: statement, value: try (signer ?? key).signature(for: statement))
        return DeploymentOrder(deploymentId: UUID(), systemId: UUID(), action: .install,
                               artifact: ArtifactRef(id: artifactID, name: "linux.tar.zst"), sha256: sha256, size: tarball.count,
                               kernelRelease: "6.1.1", signature: signature, forceReboot: true)
    }

    func file(_ bytes: Data) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-verify-\(UUID().uuidString)")
        try bytes.write(to: file)
        return file
    }

    var verifier: ArtifactVerifier { ArtifactVerifier(trustedKey: key.publicKey.rawRepresentation) }

    @Test func theFarmsSignatureOverThisArtifactPasses() throws {
        let order = try order()
        #expect(try verifier.verify(try file(tarball), for: ArtifactClaim(order)).artifactId == order.artifact.id)
    }

    @Test func alteredBytesAnotherKeyOrAnotherArtifactsStatementFail() throws {
        var altered = tarball
        altered[0] ^= 1
        #expect(throws: MachineError.self) { try verifier.verify(try file(altered), for: ArtifactClaim(try order())) }
        #expect(throws: MachineError.self) {
            try verifier.verify(try file(tarball), for: ArtifactClaim(try order(signer: Curve25519.Signing.PrivateKey())))
        }
        // A valid signature, but over another artifact's statement.
        var swapped = try order()
        swapped.artifact = ArtifactRef(id: UUID(), name: "linux.tar.zst")
        #expect(throws: MachineError.self) { try verifier.verify(try file(tarball), for: ArtifactClaim(swapped)) }
        #expect(throws: MachineError.self) {
            try verifier.verify(try file(tarball), for: ArtifactClaim(try order(statementSha256: String(repeating: "0", count: 64))))
        }
    }

    @Test func trustedKeysAreReadAsRawBase64OrPEM() {
        let raw = key.publicKey.rawRepresentation
        let der = Data([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]) + raw
        #expect(SigningKeyText.rawKey(raw.base64EncodedString() + "\n") == raw)
        #expect(SigningKeyText.rawKey("-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n") == raw)
        #expect(SigningKeyText.rawKey("not a key") == nil)
        #expect(SigningKeyText.rawKey(Data(count: 16).base64EncodedString()) == nil)
    }
}
