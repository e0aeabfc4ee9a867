import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Users and their API tokens.
public struct UserRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public func create(_ request: NewUser) async throws -> User {
        try request.validate()
        let id = UUID()
        let role = request.validRole.rawValue
        return try await translatingConflicts(unique: "a user with this username exists", details: ["username": request.username]) {
            try await client.query("""
                INSERT INTO users (id, username, role) VALUES (\(id), \(request.username), \(role))
                RETURNING id, username, role, created_at
                """, logger: logger).first { try $0.decodeUser() }!
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

    /// Creates a token for the user; the secret is returned only here.
    public func createToken(for userID: UUID, name: String, expiresAt: Date?) async throws -> (APIToken, TokenSecret) {
        var validator = Validator()
        validator.check("name", name, .text(maxLength: 128))
        if let expiresAt, expiresAt <= Date() { validator.fail("expiresAt", "must be in the future") }
        try validator.finish()
        let secret = TokenSecret.generate()
        let id = UUID()
        let token = try await client.query("""
            INSERT INTO api_tokens (id, user_id, name, token_hash, expires_at)
            SELECT \(id), u.id, \(name), \(secret.digest), \(expiresAt) FROM users u WHERE u.id = \(userID)
            RETURNING id, name, created_at, expires_at
            """, logger: logger).first { row in
            let (id, name, createdAt, expiresAt) = try row.decode((UUID, String, Date, Date?).self)
            return APIToken(id: id, name: name, createdAt: createdAt, expiresAt: expiresAt)
        }
        guard let token else { throw StoreError.notFound(resource: "user", id: userID.lowercased) }
        return (token, secret)
    }

    /// Looks up the user a presented token belongs to.
    public func authenticate(_ secret: TokenSecret) async throws -> Authentication {
        guard secret.isWellFormed else { return .unknown }
        let found = try await client.query("""
            SELECT u.id, u.username, u.role, u.created_at, t.expires_at, t.revoked_at
            FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = \(secret.digest)
            """, logger: logger).first { row -> Authentication in
            let (id, username, role, createdAt, expiresAt, revokedAt) =
                try row.decode((UUID, String, String, Date, Date?, Date?).self)
            if revokedAt != nil { return .revoked }
            if let expiresAt, expiresAt <= Date() { return .expired }
            return .user(User(id: id, username: username, role: role, createdAt: createdAt))
        }
        return found ?? .unknown
    }
}
