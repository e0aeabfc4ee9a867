import Foundation

/// The farm's public key as people keep it in a file: the raw 32 bytes in
/// base64 (as `GET /signing-key` gives `publicKey`), or PEM
/// (SubjectPublicKeyInfo, `publicKeyPem`).
public enum SigningKeyText {
    /// The raw key in a file a person gave, or why it is not one.
    public static func read(_ file: URL) throws -> Data {
        guard let key = rawKey(try String(contentsOf: file, encoding: .utf8)) else {
            throw MachineError.configuration("\(file.path) holds no Ed25519 public key (base64 of 32 bytes, or PEM)")
        }
        return key
    }

    public static func rawKey(_ text: String) -> Data? {
        let body = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let bytes = Data(base64Encoded: body) else { return nil }
        switch bytes.count {
        case 32: return bytes
        // RFC 8410's fixed 12-byte SubjectPublicKeyInfo header for Ed25519, then the key.
        case 44 where bytes.prefix(12) == Data([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]):
            return bytes.suffix(32)
        default: return nil
        }
    }
}
