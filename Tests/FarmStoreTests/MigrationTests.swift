@testable import FarmStore
import FarmTestSupport
import PostgresNIO
import Testing

@Suite struct MigrationTests {
    @Test func bundledMigrationsAreNumberedInOrder() throws {
        let migrations = try Migrator.bundled()
        #expect(migrations.map(\.version) == Array(1...migrations.count))
        #expect(migrations.first?.name == "identity")
    }

    @Test func applyOnEmptyDatabaseThenReapplyIsANoOp() async throws {
        try await TestDatabase.withEmptyDatabase { settings in
            try await TestDatabase.withStoreUnmigrated(settings: settings) { store in
                let migrations = try Migrator.bundled()
                let first = try await store.migrator.migrate(migrations)
                #expect(first == migrations.map(\.version))
                let second = try await store.migrator.migrate(migrations)
                #expect(second.isEmpty)
                let recorded = try await store.client.query("SELECT version FROM schema_migrations ORDER BY version")
                    .collect().map { try $0.decode(Int.self) }
                #expect(recorded == migrations.map(\.version))
                let tables = try await store.client.query("""
                    SELECT table_name::text FROM information_schema.tables
                    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name
                    """).collect().map { try $0.decode(String.self) }
                #expect(tables == [
                    "api_tokens", "artifacts", "audit_events", "build_day_counters", "build_log_lines", "build_stages", "builds", "config_modules",
                    "configuration_versions", "configurations", "dashboard_sessions", "deployment_targets", "deployments", "kernel_catalogs",
                    "kernel_modules", "outbox", "project_members", "projects", "rate_limit_windows", "schema_migrations",
                    "system_kernel_history", "target_systems", "toolchain_queues", "users", "workers",
                ])
            }
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        try await TestDatabase.withEmptyDatabase { settings in
            try await TestDatabase.withStoreUnmigrated(settings: settings) { store in
                let migrations = try Migrator.bundled()
                let runs = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for _ in 0..<4 { group.addTask { try await store.migrator.migrate(migrations) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(runs.flatMap { $0 }.sorted() == migrations.map(\.version))
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.withEmptyDatabase { settings in
            try await TestDatabase.withStoreUnmigrated(settings: settings) { store in
                let broken = Migrator.Migration(
                    version: 1, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;")
                await #expect(throws: PSQLError.self) { try await store.migrator.migrate([broken]) }
                let leftovers = try await store.client.query(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'"
                ).collect().map { try $0.decode(Int.self) }
                #expect(leftovers == [0])
            }
        }
    }
}

@Suite struct SQLScriptTests {
    @Test func splitsOnSemicolonsOutsideQuotesAndBodies() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (note text DEFAULT 'x;y');
            CREATE FUNCTION f() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'no; really';
            END;
            $$ LANGUAGE plpgsql;
            CREATE VIEW "odd;name" AS SELECT 1
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 3)
        #expect(statements[0] == "CREATE TABLE a (note text DEFAULT 'x;y')")
        #expect(statements[1].hasPrefix("CREATE FUNCTION f()"))
        #expect(statements[1].hasSuffix("$$ LANGUAGE plpgsql"))
        #expect(statements[2] == #"CREATE VIEW "odd;name" AS SELECT 1"#)
    }

    @Test func taggedDollarQuotesAndEmptyStatements() {
        let statements = SQLScript.statements(in: "SELECT $tag$ ; $$ ; $tag$;;  ;SELECT 2;")
        #expect(statements == ["SELECT $tag$ ; $$ ; $tag$", "SELECT 2"])
    }
}
