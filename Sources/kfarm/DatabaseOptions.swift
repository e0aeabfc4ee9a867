import ArgumentParser
import FarmStore
import Foundation
import Logging

/// The `--database-url` option every command that touches PostgreSQL shares.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (default: $KFARM_DATABASE_URL).")
    var databaseURL: String?

    func settings() throws -> DatabaseSettings {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["KFARM_DATABASE_URL"] else {
            throw ValidationError("no database: pass --database-url or set KFARM_DATABASE_URL")
        }
        do {
            return try DatabaseSettings(url: url)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Runs `body` with a store whose connection pool is running, then stops the pool.
    func withStore<T: Sendable>(logger: Logger, _ body: @Sendable (Store) async throws -> T) async throws -> T {
        let store = Store(settings: try settings(), logger: logger)
        do {
            return try await withThrowingTaskGroup(of: Void.self) { group in
                // The body starts once the client's run() is under way: a query before it would have the
                // driver warn "run() hasn't been called yet", which a person reads as an error.
                await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
                    group.addTask {
                        started.resume()
                        await store.client.run()
                    }
                }
                defer { group.cancelAll() }
                return try await body(store)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            // Operators need the driver's full story (the server's message, the SQL state).
            throw CommandFailure(description: String(reflecting: error))
        }
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}
