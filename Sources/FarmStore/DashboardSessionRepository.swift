import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Dashboard sessions: a person's token exchanged for a cookie secret
/// (only its SHA-256 stored), valid until it expires, is closed, or its
/// token is revoked or expires.
public struct DashboardSessionRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Opens a session for the person `token` belongs to; nil when it is not
    /// a valid person's token (machine tokens cannot sign in). Audited; sessions
    /// expired over a day ago go in the same transaction, so the table stays small.
    public func open(with token: TokenSecret, users: UserRepository, lifetime: TimeInterval)
        async throws -> (secret: TokenSecret, user: User)? {
        guard case .valid(let user, .user, let tokenID) = try await users.authenticate(token) else { return nil }
        let secret = TokenSecret.generate()
        try await client.transaction(logger: logger) { connection in
            try await connection.query("""
                INSERT INTO dashboard_sessions (secret_hash, user_id, token_id, expires_at)
                VALUES (\(secret.digest), \(user.id), \(tokenID), now() + make_interval(secs => \(lifetime)))
                """, logger: logger)
            try await connection.query("DELETE FROM dashboard_sessions WHERE expires_at < now() - interval '1 day'", logger: logger)
            try await Audit.record("session.open", "token", tokenID, by: user.id, on: connection, logger: logger)
        }
        return (secret, user)
    }

    /// Who the session's cookie secret belongs to, as a token would say.
    public func authenticate(_ secret: TokenSecret) async throws -> Authentication {
        guard secret.isWellFormed else { return .unknown }
        let found = try await client.query("""
            SELECT u.id, u.username, u.role, u.created_at, t.id, s.expires_at, t.expires_at, t.revoked_at
            FROM dashboard_sessions s
            JOIN api_tokens t ON t.id = s.token_id
            JOIN users u ON u.id = s.user_id
            WHERE s.secret_hash = \(secret.digest)
            """, logger: logger).first { row -> Authentication in
            let (id, username, role, createdAt, tokenID, sessionExpiry, tokenExpiry, revokedAt) =
                try row.decode((UUID, String, String, Date, UUID, Date, Date?, Date?).self)
            if revokedAt != nil { return .revoked }
            if sessionExpiry <= Date() || tokenExpiry.map({ $0 <= Date() }) == true { return .expired }
            return .valid(User(id: id, username: username, role: role, createdAt: createdAt), .user, tokenID: tokenID)
        }
        return found ?? .unknown
    }

    /// Ends the session (sign-out, or a new sign-in of the same browser).
    public func close(_ secret: TokenSecret) async throws {
        try await client.query("DELETE FROM dashboard_sessions WHERE secret_hash = \(secret.digest)", logger: logger)
    }
}
