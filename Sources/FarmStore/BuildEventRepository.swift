import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Records what workers report about their build attempts. Every event is
/// idempotent: log lines are keyed by (build, attempt, line number), stages
/// only move forward, progress only grows, and stage, progress and result
/// events apply only while the reporting worker still holds the attempt
/// (a late event from a lost worker or a cancelled build changes nothing).
public struct BuildEventRepository: Sendable {
    let client: PostgresClient
    let logger: Logger
    let doorbell: OutboxDoorbell

    /// Applies the batches in one transaction, in order. The relay is rung
    /// only when an attempt went back to the queue (a new dispatch message):
    /// most batches write none, and this is the farm's busiest transaction.
    public func record(_ batches: [BuildEventBatch], maxAttempts: Int) async throws {
        guard !batches.isEmpty else { return }
        let requeued = try await client.transaction(logger: logger) { connection in
            var requeued = false
            for batch in batches {
                requeued = try await apply(batch, maxAttempts: maxAttempts, on: connection) == .requeued || requeued
            }
            return requeued
        }
        if requeued { doorbell.ring() }
    }

    /// How the batch's attempt ended, if it did.
    private func apply(_ batch: BuildEventBatch, maxAttempts: Int, on connection: PostgresConnection) async throws
        -> AttemptEnding.Result? {
        let id = batch.buildId
        let summary = BuildEventSummary(batch.events)
        for run in summary.logs {
            try await BuildLogRepository.append(id, attempt: batch.attempt, first: run.first, lines: run.lines,
                                                on: connection, logger: logger)
        }
        guard summary.changesTheBuild,
              let running = try await RunningAttempt.lock(id, attempt: batch.attempt, worker: batch.workerId,
                                                          on: connection, logger: logger) else { return nil }
        if !summary.stages.isEmpty || summary.highestProgress != nil {
            let names = summary.stages.map(\.stage.rawValue)
            let statuses = summary.stages.map(\.status.rawValue)
            let predecessors = summary.stages.map { $0.status.predecessors.map(\.rawValue).joined(separator: ",") }
            // Stages move only forward; the build's current stage follows a stage that really started.
            try await connection.query("""
                WITH moved AS (
                    UPDATE build_stages s SET status = u.status,
                        started_at = CASE WHEN u.status = 'skipped' THEN s.started_at ELSE COALESCE(s.started_at, now()) END,
                        completed_at = CASE WHEN u.status IN ('completed', 'failed', 'skipped') THEN now() ELSE s.completed_at END
                    FROM unnest(\(names)::text[], \(statuses)::text[], \(predecessors)::text[]) AS u(name, status, predecessors)
                    WHERE s.build_id = \(id) AND s.name = u.name AND s.status = ANY(string_to_array(u.predecessors, ','))
                    RETURNING s.name, s.status, s.position
                )
                UPDATE builds SET
                    progress = GREATEST(progress, \(min(max(summary.highestProgress ?? 0, 0), 99))),
                    current_stage = COALESCE(
                        (SELECT name FROM moved WHERE status = 'in_progress' ORDER BY position DESC LIMIT 1), current_stage)
                WHERE id = \(id)
                """, logger: logger)
        }
        guard let outcome = summary.outcome else { return nil }
        let ending = try await AttemptEnding.end(running, outcome, maxAttempts: maxAttempts, on: connection, logger: logger)
        logger.info("build attempt ended", metadata: [
            "build": "\(id.lowercased)", "attempt": "\(batch.attempt)", "ending": "\(ending)",
        ])
        return ending
    }
}
