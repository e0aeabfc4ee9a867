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
    /// Where its attempts are dispatched (`builds.toolchain`).
    var toolchain: String?

    /// Locks the rows of the builds still in progress as the given attempt
    /// by the given worker (not finished, cancelled, or re-dispatched as a
    /// later attempt: an attempt ends from the same statuses however it
    /// ends); returns them by their position in `attempts`. Rows are locked
    /// in id order, so concurrent recorders cannot deadlock.
    static func lock(_ attempts: [(build: UUID, attempt: Int, worker: UUID)], on connection: PostgresConnection,
                     logger: Logger) async throws -> [Int: RunningAttempt] {
        var running: [Int: RunningAttempt] = [:]
        let rows = try await connection.query("""
            SELECT b.id, b.attempt, b.architecture, b.priority, c.project_id, b.toolchain, w.n
            FROM unnest(\(attempts.map(\.build))::uuid[], \(attempts.map(\.attempt))::int8[], \(attempts.map(\.worker))::uuid[])
                WITH ORDINALITY AS w(id, attempt, worker, n)
            JOIN builds b ON b.id = w.id AND b.attempt = w.attempt AND b.worker_id = w.worker
                AND b.status = ANY(\(from: BuildTransition.fail))
            JOIN configurations c ON c.id = b.configuration_id
            ORDER BY b.id
            FOR UPDATE OF b
            """, logger: logger)
        for try await row in rows {
            let (id, attempt, architecture, priority, projectID, toolchain, n) = try row.decode(
                (UUID, Int, String, String, UUID, String?, Int).self)
            running[n - 1] = try RunningAttempt(id: id, attempt: attempt, architecture: architecture, priority: priority,
                                                projectID: projectID, toolchain: toolchain)
        }
        return running
    }

    static func decode(_ row: PostgresRow) throws -> RunningAttempt {
        let (id, attempt, architecture, priority, projectID, toolchain) = try row.decode((UUID, Int, String, String, UUID, String?).self)
        return try RunningAttempt(id: id, attempt: attempt, architecture: architecture, priority: priority, projectID: projectID,
                                  toolchain: toolchain)
    }
}

extension RunningAttempt {
    /// An attempt as its row stores it. An architecture the farm does not
    /// know fails: the next attempt is dispatched to its architecture's
    /// queue, and another architecture's workers would build the wrong kernel.
    private init(id: UUID, attempt: Int, architecture: String, priority: String, projectID: UUID,
                 toolchain: String?) throws(StoreError) {
        guard let known = Architecture(rawValue: architecture) else {
            throw StoreError.unavailable("build \(id.lowercased) has unknown architecture \(architecture)")
        }
        self.init(id: id, attempt: attempt, architecture: known, priority: BuildPriority(rawValue: priority) ?? .normal,
                  projectID: projectID, toolchain: toolchain)
    }

    /// The message that sends `attempt` of this build to its queue.
    func dispatch(attempt: Int) -> BuildDispatch {
        BuildDispatch(buildId: id, attempt: attempt, architecture: architecture, priority: priority, toolchain: toolchain)
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
            try await complete([(running, outcome.findings)], on: connection, logger: logger)
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
            UPDATE builds SET status = \(to: BuildTransition.fail), completed_at = now(), lease_expires_at = NULL,
                   failure_kind = \(failure.kind.rawValue), failure_reason = \(reason),
                   findings = \(try findingsJSON(outcome.findings))::jsonb
            WHERE id = \(id) AND status = ANY(\(from: BuildTransition.fail))
            """, logger: logger)
        try await closeStages(of: id, on: connection, logger: logger)
        try await Audit.record("build.fail", "build", id, project: running.projectID, by: nil,
                               details: ["kind": failure.kind.rawValue, "reason": reason], on: connection, logger: logger)
        return .failed
    }

    /// Completed attempts with what each found, the farm's most frequent ending: one statement for all.
    static func complete(_ endings: [(attempt: RunningAttempt, findings: BuildFindings?)], on connection: PostgresConnection,
                         logger: Logger) async throws {
        guard !endings.isEmpty else { return }
        let attempts = endings.map(\.attempt)
        let findings = try endings.map { try findingsJSON($0.findings) }
        try await connection.query("""
            WITH done AS (
                SELECT * FROM unnest(\(attempts.map(\.id))::uuid[], \(attempts.map(\.attempt))::int8[],
                                     \(attempts.map(\.projectID))::uuid[], \(findings)::jsonb[]) AS d(id, attempt, project_id, findings)
            ), completed AS (
                UPDATE builds b SET status = \(to: BuildTransition.complete), completed_at = now(), progress = 100,
                       current_stage = NULL, lease_expires_at = NULL, findings = done.findings
                FROM done WHERE b.id = done.id AND b.status = ANY(\(from: BuildTransition.complete))
            ), skipped AS (
                UPDATE build_stages s SET status = 'skipped' FROM done WHERE s.build_id = done.id AND s.status = 'pending'
            )
            INSERT INTO audit_events (action, resource_type, resource_id, project_id, details)
            SELECT 'build.complete', 'build', id::text, project_id, jsonb_build_object('attempt', attempt::text) FROM done
            """, logger: logger)
    }

    /// What the attempt found, as `builds.findings` holds it (an empty one when it reported none).
    private static func findingsJSON(_ findings: BuildFindings?) throws -> String {
        String(decoding: try JSONEncoder().encode(findings ?? BuildFindings()), as: UTF8.self)
    }

    /// Puts the build back in its queue as the next attempt, with fresh stages.
    private static func requeue(_ running: RunningAttempt, reason: String, on connection: PostgresConnection, logger: Logger)
        async throws {
        let id = running.id
        let next = running.attempt + 1
        try await connection.query("""
            UPDATE builds SET status = \(to: BuildTransition.requeue), attempt = \(next), worker_id = NULL,
                   lease_expires_at = NULL, claimed_at = NULL, current_stage = NULL, progress = 0, dispatched_at = now()
            WHERE id = \(id) AND status = ANY(\(from: BuildTransition.requeue))
            """, logger: logger)
        try await connection.query("""
            UPDATE build_stages SET status = 'pending', started_at = NULL, completed_at = NULL WHERE build_id = \(id)
            """, logger: logger)
        try await Outbox.enqueue(
            running.dispatch(attempt: next),
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
