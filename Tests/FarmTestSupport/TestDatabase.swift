import FarmModel
import FarmStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL the tests run against: `KFARM_TEST_DATABASE_URL`, set by
/// `scripts/test.sh`, which starts a private cluster for the run.
public enum TestDatabase {
    public static func settings() throws -> DatabaseSettings {
        guard let url = ProcessInfo.processInfo.environment["KFARM_TEST_DATABASE_URL"] else {
            throw StoreError.invalidSettings(
                "KFARM_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
        }
        return try DatabaseSettings(url: url)
    }

    public static let logger: Logger = {
        var logger = Logger(label: "kfarm.test")
        logger.logLevel = .error
        return logger
    }()

    /// Runs `body` with a migrated store whose pool is running.
    public static func withStore<T: Sendable>(_ body: @Sendable (Store) async throws -> T) async throws -> T {
        try await withStoreUnmigrated(settings: try settings()) { store in
            try await store.migrator.migrate(try Migrator.bundled())
            return try await body(store)
        }
    }

    /// Runs `body` with a store on `settings` whose pool is running.
    public static func withStoreUnmigrated<T: Sendable>(
        settings: DatabaseSettings, _ body: @Sendable (Store) async throws -> T
    ) async throws -> T {
        let store = Store(settings: settings, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.client.run() }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// Runs `body` with a migrated store on a new database of its own: for
    /// tests that count rows or must not see other tests' workers and builds.
    public static func withFreshStore<T: Sendable>(_ body: @Sendable (Store) async throws -> T) async throws -> T {
        try await withEmptyDatabase { settings in
            try await withStoreUnmigrated(settings: settings) { store in
                try await store.migrator.migrate(try Migrator.bundled())
                return try await body(store)
            }
        }
    }

    /// Runs `body` against a new, empty database that is dropped afterwards.
    public static func withEmptyDatabase<T: Sendable>(_ body: @Sendable (DatabaseSettings) async throws -> T) async throws -> T {
        let base = try settings()
        let name = "kfarm_test_\(UUID().lowercased.replacingOccurrences(of: "-", with: ""))"
        return try await withStoreUnmigrated(settings: base) { admin in
            // A database name cannot be a bind parameter; this one is generated above, never user input.
            try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            let drop = PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)")
            let result: T
            do {
                result = try await body(base.with(database: name))
            } catch {
                try? await admin.client.query(drop)
                throw error
            }
            // Dropping is cleanup: it can fail while the server winds down a backend of another role
            // ("must be a member of the role whose process is being terminated"), and a throwaway
            // database left on the test cluster says nothing about the test.
            try? await admin.client.query(drop)
            return result
        }
    }
}
