import FarmModel
import Foundation
import Logging
import PostgresNIO

/// A request's first statement: who its bearer token belongs to, and one hit
/// on its rate limits, counted in the same round trip. Every request of the
/// API pays for this, and a worker's claim waits on it.
public struct AdmissionRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public struct Admission: Sendable, Equatable {
        /// What the presented token turned out to be; nil when none was presented.
        public var authentication: Authentication?
        /// One count per key hit: the address's, and the holder's when the token is valid.
        public var counts: [RateLimitRepository.Count]
    }

    /// Counts a hit on `addressKey` and, when `secret` is a valid token, on
    /// its holder's key (`RateLimitRepository.holderKey`) in the current
    /// window of `seconds`. A token that is not well formed is not looked up.
    public func admit(_ secret: TokenSecret?, addressKey: String, windowSeconds seconds: Int) async throws -> Admission {
        let digest = secret.flatMap { $0.isWellFormed ? $0.digest : nil }
        var found: UserRepository.FoundToken?
        let counts = try await client.execute(Admit(digest: digest ?? Data(), addressKey: addressKey, seconds: seconds),
                                              logger: logger).all { row in
            let (key, hits, windowEnd, id, username, role, createdAt, tokenID, kind, storedDigest, expired, revokedAt) =
                try row.decode((String, Int, Date, UUID?, String?, String?, Date?, UUID?, String?, Data?, Bool?, Date?).self)
            if let id, let username, let role, let createdAt, let tokenID, let kind, let storedDigest, let expired {
                found = UserRepository.FoundToken(user: User(id: id, username: username, role: role, createdAt: createdAt),
                                                  tokenID: tokenID, kind: kind, digest: storedDigest, expired: expired,
                                                  revokedAt: revokedAt)
            }
            return RateLimitRepository.Count(key: key, hits: hits, windowEnd: windowEnd)
        }
        return Admission(authentication: digest.map { found?.authentication(presented: $0) ?? .unknown }, counts: counts)
    }

    /// `UserRepository.TokenLookup` and `RateLimitRepository.Hit` as one
    /// statement: the holder's key is counted only for a token that is
    /// neither revoked nor expired, as a request with it is then let in. The
    /// counters' quick commit (see `RateLimitRepository.hit`) covers the
    /// token's last use, which is kept to the minute anyway.
    struct Admit: PreparedQuery {
        static let sql = """
            WITH quick_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
            \(UserRepository.foundToken), keys AS (
                SELECT $2::text AS key
                UNION ALL
                SELECT kind::text || ':' || id::text FROM found WHERE revoked_at IS NULL AND NOT expired
            ), counted AS (
                INSERT INTO rate_limit_windows (key, window_start, hits)
                SELECT key, to_timestamp(floor(extract(epoch FROM now()) / $3) * $3), 1
                FROM keys, quick_commit
                ORDER BY key  -- one lock order for every caller: concurrent upserts never deadlock
                ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
                RETURNING key, hits, window_start + make_interval(secs => $3) AS window_end
            )
            SELECT c.key, c.hits, c.window_end, f.id, f.username, f.role, f.created_at, f.token_id, f.kind::text, f.token_hash,
                   f.expired, f.revoked_at
            FROM counted c LEFT JOIN found f ON true
            """
        let digest: Data
        let addressKey: String
        let seconds: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            try bindings.append(digest, context: .default)
            bindings.append(addressKey)
            bindings.append(seconds)
            return bindings
        }
    }
}
