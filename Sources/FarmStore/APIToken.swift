import Crypto
import FarmModel
import Foundation

/// A bearer token's secret. Only its SHA-256 digest is stored; the secret is
/// shown once, when the token is created.
public struct TokenSecret: Sendable, Equatable {
    static let prefix = "kfarm_"

    public let value: String

    public init(value: String) {
        self.value = value
    }

    static func generate() -> TokenSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return TokenSecret(value: prefix + encoded)
    }

    /// Whether the text has the shape of a kfarm token at all.
    public var isWellFormed: Bool {
        value.hasPrefix(Self.prefix) && value.count == Self.prefix.count + 43
            && value.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }

    var digest: Data { Data(SHA256.hash(data: Data(value.utf8))) }

    static func constantTimeEqual(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A token's record, without its secret.
public struct APIToken: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String
    public var kind: TokenKind
    public var createdAt: Date
    @ExplicitNull public var expiresAt: Date?
    @ExplicitNull public var revokedAt: Date?
    @ExplicitNull public var lastUsedAt: Date?

    public init(
        id: UUID, name: String, kind: TokenKind, createdAt: Date, expiresAt: Date?, revokedAt: Date?, lastUsedAt: Date?
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }
}

/// What a presented token turned out to be.
public enum Authentication: Sendable, Equatable {
    /// A valid token (`tokenID`) of `kind`, held by `user` (for machine tokens: the admin who made it).
    case valid(User, TokenKind, tokenID: UUID)
    case expired
    case revoked
    case unknown
}
