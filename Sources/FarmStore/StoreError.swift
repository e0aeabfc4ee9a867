import PostgresNIO

/// What the store reports to the layers above it. SQL text and driver
/// errors stay inside the store (they are logged, not returned).
public enum StoreError: Error, Sendable, Equatable {
    case notFound(resource: String, id: String)
    case conflict(String, details: [String: String] = [:])
    case invalidSettings(String)
    case unavailable(String)
    /// PostgreSQL does not answer (down, restarting, unreachable): worth retrying later.
    case unreachable(String)

    /// The connection-loss failures of the driver (refused, closed, shutting
    /// down) as `unreachable`; nil for any other error.
    public static func lostConnection(_ error: any Error) -> StoreError? {
        // A transaction whose connection was lost mid-way fails its rollback too, and comes wrapped.
        if let failed = error as? PostgresTransactionError {
            let causes: [(any Error)?] = [failed.beginError, failed.closureError, failed.commitError, failed.rollbackError]
            return causes.lazy.compactMap { $0.flatMap(lostConnection) }.first
        }
        guard let error = error as? PSQLError else { return nil }
        let lost: Set<PSQLError.Code> = [.connectionError, .serverClosedConnection, .clientClosedConnection,
                                         .uncleanShutdown, .poolClosed]
        // 08: connection exceptions; 57P: the server shutting down or starting up.
        let state = error.sqlState ?? ""
        guard lost.contains(error.code) || state.hasPrefix("08") || state.hasPrefix("57P") else { return nil }
        return .unreachable("PostgreSQL is unreachable")
    }
}

extension PSQLError {
    static let uniqueViolation = "23505"
    static let foreignKeyViolation = "23503"
    /// Raised by the `config_modules_locked` trigger.
    static let lockedVersion = "KF001"

    var sqlState: String? { serverInfo?[.sqlState] }
}

/// Runs `body`, turning the named constraint failures into `StoreError.conflict`.
func translatingConflicts<T>(
    unique message: String, details: [String: String] = [:], _ body: () async throws -> T
) async throws -> T {
    do {
        return try await body()
    } catch let error as PSQLError where error.sqlState == PSQLError.uniqueViolation {
        throw StoreError.conflict(message, details: details)
    } catch let error as PSQLError where error.sqlState == PSQLError.lockedVersion {
        throw StoreError.conflict("configuration version is locked and cannot change")
    }
}
