import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Users and their API tokens.
public struct UserRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public func create(_ request: NewUser, by actor: Actor) async throws -> User {
        try request.validate()
        let id = UUID()
        let role = request.validRole.rawValue
        return try await translatingConflicts(unique: "a user with this username exists", details: ["username": request.username]) {
            try await client.transaction(logger: logger) { connection in
                let user = try await connection.query("""
                    INSERT INTO users (id, username, role) VALUES (\(id), \(request.username), \(role))
                    RETURNING id, username, role, created_at
                    """, logger: logger).first { try $0.decodeUser() }!
                try await Audit.record("user.create", "user", id, by: actor,
                                       details: ["username": user.username, "role": role], on: connection, logger: logger)
                return user
            }
        }
    }

    public func find(username: String) async throws -> User? {
        try await client.query(
            "SELECT id, username, role, created_at FROM users WHERE username = \(username)", logger: logger
        ).first { try $0.decodeUser() }
    }

    public func find(id: UUID) async throws -> User? {
        try await client.query(
            "SELECT id, username, role, created_at FROM users WHERE id = \(id)", logger: logger
        ).first { try $0.decodeUser() }
    }

    /// The furthest a token's expiry may lie ahead: ten years.
    static let longestTokenLife: TimeInterval = 10 * 366 * 24 * 3600

    /// Creates a token for the user; the secret is returned only here.
    public func createToken(
        for userID: UUID, name: String, kind: TokenKind = .user, expiresAt: Date?, by actor: Actor
    ) async throws -> (APIToken, TokenSecret) {
        var validator = Validator()
        validator.check("name", name, .text(maxLength: 128))
        if let expiresAt, expiresAt <= Date() { validator.fail("expiresAt", "must be in the future") }
        if let expiresAt, expiresAt > Date().addingTimeInterval(Self.longestTokenLife) {
            validator.fail("expiresAt", "must be within ten years from now")
        }
        try validator.finish()
        let secret = TokenSecret.generate()
        let id = UUID()
        return try await client.transaction(logger: logger) { connection in
            let token = try await connection.query("""
                INSERT INTO api_tokens (id, user_id, name, kind, token_hash, expires_at)
                SELECT \(id), u.id, \(name), \(kind.rawValue), \(secret.digest), \(expiresAt) FROM users u WHERE u.id = \(userID)
                RETURNING id, name, kind, created_at, expires_at, revoked_at, last_used_at
                """, logger: logger).first(Self.decodeToken)
            guard let token else { throw StoreError.notFound(resource: "user", id: userID.lowercased) }
            try await Audit.record("token.create", "token", id, by: actor,
                                   details: ["user": userID.lowercased, "name": name, "kind": kind.rawValue],
                                   on: connection, logger: logger)
            return (token, secret)
        }
    }

    /// The user's tokens, without secrets, newest first.
    public func tokens(of userID: UUID) async throws -> [APIToken] {
        try await client.query("""
            SELECT id, name, kind, created_at, expires_at, revoked_at, last_used_at FROM api_tokens
            WHERE user_id = \(userID) ORDER BY created_at DESC, id
            """, logger: logger).all(Self.decodeToken)
    }

    /// Revokes one of the user's tokens; revoking a revoked token changes nothing.
    public func revokeToken(_ tokenID: UUID, of userID: UUID, by actor: Actor) async throws -> APIToken {
        try await client.transaction(logger: logger) { connection in
            let revoked = try await connection.query("""
                UPDATE api_tokens SET revoked_at = now()
                WHERE id = \(tokenID) AND user_id = \(userID) AND revoked_at IS NULL
                RETURNING id
                """, logger: logger).collect()
            if !revoked.isEmpty {
                try await Audit.record("token.revoke", "token", tokenID, by: actor,
                                       details: ["user": userID.lowercased], on: connection, logger: logger)
            }
            let token = try await connection.query("""
                SELECT id, name, kind, created_at, expires_at, revoked_at, last_used_at FROM api_tokens
                WHERE id = \(tokenID) AND user_id = \(userID)
                """, logger: logger).first(Self.decodeToken)
            guard let token else { throw StoreError.notFound(resource: "token", id: tokenID.lowercased) }
            return token
        }
    }

    private static func decodeToken(_ row: PostgresRow) throws -> APIToken {
        let (id, name, kind, createdAt, expiresAt, revokedAt, lastUsedAt) =
            try row.decode((UUID, String, String, Date, Date?, Date?, Date?).self)
        return APIToken(id: id, name: name, kind: TokenKind(rawValue: kind) ?? .user, createdAt: createdAt,
                        expiresAt: expiresAt, revokedAt: revokedAt, lastUsedAt: lastUsedAt)
    }

    /// Looks up the user a presented token belongs to. The digest is also
    /// compared in constant time after the indexed lookup, so no code path
    /// depends on how much of a secret matched.
    public func authenticate(_ secret: TokenSecret) async throws -> Authentication {
        guard secret.isWellFormed else { return .unknown }
        let digest = secret.digest
        // lastUsedAt is kept to the minute: a token used for every request
        // would otherwise make every request a write (and a wait on its row).
        let found = try await client.execute(TokenLookup(digest: digest), logger: logger).first { row in
            let (id, username, role, createdAt, tokenID, kind, storedDigest, expired, revokedAt) =
                try row.decode((UUID, String, String, Date, UUID, String, Data, Bool, Date?).self)
            return FoundToken(user: User(id: id, username: username, role: role, createdAt: createdAt), tokenID: tokenID,
                              kind: kind, digest: storedDigest, expired: expired, revokedAt: revokedAt)
        }
        return found?.authentication(presented: digest) ?? .unknown
    }

    /// A token row found by its digest (`TokenLookup`, `Admission`), and what it makes of the presented secret.
    /// Whether it has expired is the database's clock's answer, as the holder's rate-limit count is.
    struct FoundToken {
        let user: User
        let tokenID: UUID
        let kind: String
        let digest: Data
        let expired: Bool
        let revokedAt: Date?

        func authentication(presented: Data) -> Authentication {
            guard TokenSecret.constantTimeEqual(digest, presented) else { return .unknown }
            if revokedAt != nil { return .revoked }
            if expired { return .expired }
            guard let kind = TokenKind(rawValue: kind) else { return .unknown }
            return .valid(user, kind, tokenID: tokenID)
        }
    }

    /// `found`: the token whose digest is $1, with its holder; `touched`
    /// keeps its last use to the minute. (`TokenLookup`, `AdmissionRepository.Admit`.)
    static let foundToken = """
        found AS (
            SELECT u.id, u.username, u.role, u.created_at, t.id AS token_id, t.kind, t.token_hash,
                   t.expires_at <= now() IS TRUE AS expired, t.revoked_at, t.last_used_at
            FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = $1
        ), touched AS (
            UPDATE api_tokens SET last_used_at = now() FROM found
            WHERE api_tokens.id = found.token_id
              AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute')
        )
        """

    struct TokenLookup: PreparedQuery {
        static let sql = """
            WITH \(foundToken)
            SELECT id, username, role, created_at, token_id, kind, token_hash, expired, revoked_at FROM found
            """
        let digest: Data

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            try bindings.append(digest, context: .default)
            return bindings
        }
    }
}
