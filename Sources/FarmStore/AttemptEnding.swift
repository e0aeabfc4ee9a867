import FarmModel
import Foundation
import Logging
import PostgresNIO

/// A running build attempt, as the statements that end it need it.
struct RunningAttempt: Sendable {
    var id: UUID
    var attempt: Int
    var architecture: Architecture
    var priority: BuildPriority
    var projectID: UUID

    /// Locks the build's row; nil when it is not in progress as `attempt`
    /// (already finished, cancelled, or re-dispatched as a later attempt).
    static func lock(_ id: UUID, attempt: Int, worker: UUID?, on connection: PostgresConnection, logger: Logger)
        async throws -> RunningAttempt? {
        try await connection.query("""
            SELECT b.id, b.attempt, b.architecture, b.priority, c.project_id
            FROM builds b JOIN configurations c ON c.id = b.configuration_id
            WHERE b.id = \(id) AND b.attempt = \(attempt) AND b.status = 'in_progress'
              AND (\(worker)::uuid IS NULL OR b.worker_id = \(worker))
            FOR UPDATE OF b
            """, logger: logger).first(decode)
    }

    static func decode(_ row: PostgresRow) throws -> RunningAttempt {
        let (id, attempt, architecture, priority, projectID) = try row.decode((UUID, Int, String, String, UUID).self)
        return RunningAttempt(id: id, attempt: attempt, architecture: Architecture(rawValue: architecture) ?? .x86_64,
                              priority: BuildPriority(rawValue: priority) ?? .normal, projectID: projectID)
    }
}

/// How a running attempt ends: completed, failed for a build reason, or
/// failed for an infrastructure reason — then retried as the next attempt
/// (a new dispatch message) until `maxAttempts`, and failed after that.
enum AttemptEnding {
    enum Result: Equatable { case completed, failed, requeued }

    static func end(
        _ running: RunningAttempt, _ outcome: BuildOutcome, maxAttempts: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> Result {
        let id = running.id
        if outcome.status == .completed {
            try await connection.query("""
                UPDATE builds SET status = 'completed', completed_at = now(), progress = 100, current_stage = NULL,
                       lease_expires_at = NULL
                WHERE id = \(id)
                """, logger: logger)
            try await connection.query("""
                UPDATE build_stages SET status = 'skipped' WHERE build_id = \(id) AND status = 'pending'
                """, logger: logger)
            try await Audit.record("build.complete", "build", id, project: running.projectID, by: nil,
                                   details: ["attempt": String(running.attempt)], on: connection, logger: logger)
            return .completed
        }
        let failure = outcome.failure ?? BuildFailure(kind: .infrastructure, reason: "the worker reported no reason")
        if failure.kind == .infrastructure && running.attempt < maxAttempts {
            try await requeue(running, reason: failure.reason, on: connection, logger: logger)
            return .requeued
        }
        let reason = failure.kind == .infrastructure
            ? "\(failure.reason) (attempt \(running.attempt) of \(maxAttempts))" : failure.reason
        try await connection.query("""
            UPDATE builds SET status = 'failed', completed_at = now(), lease_expires_at = NULL,
                   failure_kind = \(failure.kind.rawValue), failure_reason = \(reason)
            WHERE id = \(id)
            """, logger: logger)
        try await closeStages(of: id, on: connection, logger: logger)
        try await Audit.record("build.fail", "build", id, project: running.projectID, by: nil,
                               details: ["kind": failure.kind.rawValue, "reason": reason], on: connection, logger: logger)
        return .failed
    }

    /// Puts the build back in its queue as the next attempt, with fresh stages.
    private static func requeue(_ running: RunningAttempt, reason: String, on connection: PostgresConnection, logger: Logger)
        async throws {
        let id = running.id
        let next = running.attempt + 1
        try await connection.query("""
            UPDATE builds SET status = 'queued', attempt = \(next), worker_id = NULL, lease_expires_at = NULL,
                   claimed_at = NULL, current_stage = NULL, progress = 0
            WHERE id = \(id)
            """, logger: logger)
        try await connection.query("""
            UPDATE build_stages SET status = 'pending', started_at = NULL, completed_at = NULL WHERE build_id = \(id)
            """, logger: logger)
        try await Outbox.enqueue(
            exchange: BusNames.buildsExchange, routingKey: running.architecture.rawValue,
            priority: running.priority.amqpPriority,
            message: BuildDispatch(buildId: id, attempt: next, architecture: running.architecture, priority: running.priority),
            on: connection, logger: logger)
        try await Audit.record("build.requeue", "build", id, project: running.projectID, by: nil,
                               details: ["attempt": String(next), "reason": reason], on: connection, logger: logger)
    }

    /// Ends a stopped build's stages: the running one failed, the rest were skipped.
    static func closeStages(of id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE build_stages SET
                status = CASE status WHEN 'pending' THEN 'skipped' WHEN 'in_progress' THEN 'failed' ELSE status END,
                completed_at = CASE WHEN status = 'in_progress' THEN now() ELSE completed_at END
            WHERE build_id = \(id)
            """, logger: logger)
    }
}
