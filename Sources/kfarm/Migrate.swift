import ArgumentParser
import Logging
import FarmStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the database migrations this build has and the database lacks.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = Logger.kfarm("kfarm.migrate")
        let applied = try await database.withStore(logger: logger) { store in
            try await store.migrator.migrate(try Migrator.bundled())
        }
        print(applied.isEmpty ? "database is up to date" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
    }
}
