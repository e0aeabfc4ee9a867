import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Fixed-window request counters in PostgreSQL, so every API replica
/// counts against the same limits. The database clock defines the windows.
public struct RateLimitRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public struct Count: Sendable, Equatable {
        public var key: String
        public var hits: Int
        public var windowEnd: Date
    }

    /// The counter of requests from an address.
    public static func addressKey(_ address: String) -> String { "ip:\(address)" }

    /// The counter of a token holder's requests of one kind (a person's and
    /// their machines' count apart). `AdmissionRepository.Admit` spells it in SQL.
    public static func holderKey(_ user: User, _ kind: TokenKind) -> String { "\(kind.rawValue):\(user.id.lowercased)" }

    public static func isAddressKey(_ key: String) -> Bool { key.hasPrefix("ip:") }

    /// Counts one hit on each key in the current window of `seconds`, in one
    /// statement. Every request of a user counts on one row, so the
    /// statement's own transaction commits without waiting for the disk
    /// (`set_config(…, true)` lasts until that commit): the row's lock stays
    /// short. A crash may forget the last moment's hits, which only errs
    /// toward allowing.
    public func hit(_ keys: [String], windowSeconds seconds: Int) async throws -> [Count] {
        try await client.execute(Hit(keys: keys, seconds: seconds), logger: logger).all { row in
            let (key, hits, windowEnd) = try row.decode((String, Int, Date).self)
            return Count(key: key, hits: hits, windowEnd: windowEnd)
        }
    }

    struct Hit: PreparedQuery {
        static let sql = """
            WITH quick_commit AS (SELECT set_config('synchronous_commit', 'off', true))
            INSERT INTO rate_limit_windows (key, window_start, hits)
            SELECT k, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1
            FROM unnest($1::text[]) AS k, quick_commit
            ORDER BY k  -- one lock order for every caller: concurrent upserts never deadlock
            ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
            RETURNING key, hits, window_start + make_interval(secs => $2)
            """
        let keys: [String]
        let seconds: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(keys)
            bindings.append(seconds)
            return bindings
        }
    }

    /// Deletes windows that ended before `horizon` seconds ago.
    @discardableResult
    public func prune(olderThan horizon: Int) async throws -> Int {
        try await client.query("""
            DELETE FROM rate_limit_windows WHERE window_start < now() - make_interval(secs => \(horizon))
            RETURNING 1
            """, logger: logger).collect().count
    }
}
