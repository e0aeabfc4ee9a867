import Crypto
import FarmModel
import Foundation

/// Signs artifacts' provenance with the farm's Ed25519 key. The private key
/// lives in a file (base64 of its 32 raw bytes, mode 0600) that every
/// server replica reads; the first start creates it.
public struct ProvenanceSigner: Sendable {
    /// The key's 32 raw bytes (swift-crypto's key type is not Sendable).
    private let rawKey: Data

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        rawKey = privateKey.rawRepresentation
    }

    private var privateKey: Curve25519.Signing.PrivateKey {
        // The bytes came from a valid key.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: rawKey)
    }

    /// The key in `file`, created there when the file does not exist yet.
    /// Two servers starting together agree on one key: the file is written
    /// aside and linked into place, which fails for the second.
    public static func load(from file: URL) throws -> ProvenanceSigner {
        let manager = FileManager.default
        if !manager.fileExists(atPath: file.path) {
            try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let fresh = file.deletingLastPathComponent().appendingPathComponent(".signing-key-\(UUID().uuidString)")
            let key = Curve25519.Signing.PrivateKey()
            guard manager.createFile(atPath: fresh.path, contents: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8),
                                     attributes: [.posixPermissions: 0o600]) else {
                throw SigningKeyError("cannot write a new signing key beside \(file.path)")
            }
            defer { try? manager.removeItem(at: fresh) }
            try? manager.linkItem(at: fresh, to: file)
        }
        let text = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw SigningKeyError("\(file.path) does not hold an Ed25519 private key (base64 of 32 bytes)")
        }
        return ProvenanceSigner(privateKey: key)
    }

    /// sha256 of the raw public key, hex.
    public var keyId: String {
        ContentHash.hex(SHA256.hash(data: privateKey.publicKey.rawRepresentation))
    }

    public func sign(_ provenance: ArtifactProvenance) throws -> ProvenanceSignature {
        let statement = try provenance.canonicalJSON()
        return ProvenanceSignature(keyId: keyId, statement: statement, value: try privateKey.signature(for: statement))
    }

    public var publicKey: SigningKey {
        let raw = privateKey.publicKey.rawRepresentation
        // SubjectPublicKeyInfo for Ed25519 (RFC 8410): a fixed 12-byte header, then the key.
        let der = Data([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]) + raw
        let pem = "-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n"
        return SigningKey(keyId: keyId, publicKey: raw, publicKeyPem: pem)
    }
}

/// The signing key file is missing, unreadable or not a key.
public struct SigningKeyError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
