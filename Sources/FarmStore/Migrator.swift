import Foundation
import Logging
import PostgresNIO

/// Applies the numbered `.sql` files in `Migrations/` that the database has
/// not seen yet. Each file runs in its own transaction together with its
/// `schema_migrations` row; an advisory lock makes concurrent migrators
/// (several replicas starting at once) take turns.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    /// Arbitrary, fixed: the advisory lock key kfarm's migrations hold.
    private static let lockKey: Int64 = 0x6B66_6172_6D00

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The migrations shipped with this build, in order.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw StoreError.unavailable("migration files are missing from the bundle")
        }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        return try files.filter { $0.pathExtension == "sql" }.map { file in
            let base = file.deletingPathExtension().lastPathComponent
            guard let separator = base.firstIndex(of: "_"), let version = Int(base[..<separator]) else {
                throw StoreError.unavailable("migration file \(file.lastPathComponent) is not named NNNN_name.sql")
            }
            return Migration(version: version, name: String(base[base.index(after: separator)...]),
                             sql: try String(contentsOf: file, encoding: .utf8))
        }.sorted { $0.version < $1.version }
    }

    /// Applies what is missing; returns the versions applied by this call.
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        var applied: [Int] = []
        for migration in migrations {
            let ran = try await client.transaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                let seen = try await connection.query(
                    "SELECT 1 FROM schema_migrations WHERE version = \(migration.version)", logger: logger
                ).collect()
                guard seen.isEmpty else { return false }
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                return true
            }
            if ran {
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        return applied
    }
}
