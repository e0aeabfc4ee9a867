import Logging
import PostgresNIO

extension PostgresClient {
    /// `withTransaction` that rethrows what the body threw (a `StoreError`, a
    /// `ValidationError`, a constraint's `PSQLError`) instead of PostgresNIO's
    /// wrapper, so callers and conflict translation see the real cause. A
    /// failed rollback or commit is still reported as the wrapper.
    func transaction<T>(logger: Logger, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        do {
            return try await withTransaction(logger: logger, body)
        } catch let error as PostgresTransactionError {
            if error.rollbackError == nil, let cause = error.closureError ?? error.commitError ?? error.beginError {
                throw cause
            }
            throw error
        }
    }
}

extension PostgresClient {
    /// `transaction` for changes that write outbox messages: rings the
    /// relay's doorbell once they are committed.
    func transaction<T>(logger: Logger, ringing doorbell: OutboxDoorbell,
                        _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        let result = try await transaction(logger: logger, body)
        doorbell.ring()
        return result
    }
}

extension PostgresClient {
    /// Runs reads that must agree with each other (a build and its stages)
    /// in one read-only snapshot, so a change committed between them is
    /// seen by all of them or by none.
    func snapshot<T>(logger: Logger, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        try await withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
