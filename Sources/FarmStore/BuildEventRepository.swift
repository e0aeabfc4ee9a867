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

    /// The events of one worker's attempt in the batches recorded together,
    /// in the order they arrived.
    private struct AttemptEvents {
        var buildID: UUID
        var attempt: Int
        var workerID: UUID
        var summary: BuildEventSummary
    }

    /// Applies the batches in one transaction, with a few statements for all
    /// of them: the log lines, the attempts' locks, the stage moves and the
    /// completions (an attempt that failed ends on its own). The relay is
    /// rung only when an attempt went back to the queue (a new dispatch
    /// message): this is the farm's busiest transaction. Returns how long
    /// the stages that completed took.
    @discardableResult
    public func record(_ batches: [BuildEventBatch], maxAttempts: Int) async throws -> [StageTiming] {
        guard !batches.isEmpty else { return [] }
        let attempts = Self.group(batches)
        let (requeued, timings) = try await client.transaction(logger: logger) { connection -> (Bool, [StageTiming]) in
            try await appendLogs(of: attempts, on: connection)
            let changing = attempts.filter(\.summary.changesTheBuild)
            guard !changing.isEmpty else { return (false, []) }
            let running = try await RunningAttempt.lock(
                changing.map { ($0.buildID, $0.attempt, $0.workerID) }, on: connection, logger: logger)
            let held = running.keys.sorted().map { (changing[$0], running[$0]!) }
            let timings = try await moveStages(
                of: held.map(\.0).filter { !$0.summary.stages.isEmpty || $0.summary.highestProgress != nil }, on: connection)
            var completed: [(attempt: RunningAttempt, findings: BuildFindings?)] = []
            var endings: [(RunningAttempt, AttemptEnding.Result)] = []
            for (events, attempt) in held {
                guard let outcome = events.summary.outcome else { continue }
                if outcome.status == .completed {
                    completed.append((attempt, outcome.findings))
                } else {
                    endings.append((attempt, try await AttemptEnding.end(attempt, outcome, maxAttempts: maxAttempts,
                                                                         on: connection, logger: logger)))
                }
            }
            try await AttemptEnding.complete(completed, on: connection, logger: logger)
            endings += completed.map { ($0.attempt, .completed) }
            for (attempt, ending) in endings {
                logger.info("build attempt ended", metadata: [
                    "build": "\(attempt.id.lowercased)", "attempt": "\(attempt.attempt)", "ending": "\(ending)",
                ])
            }
            return (endings.contains { $0.1 == .requeued }, timings)
        }
        if requeued { doorbell.ring() }
        return timings
    }

    /// One entry per (build, attempt, worker), its events in arrival order.
    private static func group(_ batches: [BuildEventBatch]) -> [AttemptEvents] {
        var order: [String] = []
        var events: [String: (batch: BuildEventBatch, events: [BuildEventPayload])] = [:]
        for batch in batches {
            let key = "\(batch.buildId)/\(batch.attempt)/\(batch.workerId)"
            if events[key] == nil { order.append(key) }
            events[key, default: (batch, [])].events += batch.events
        }
        return order.compactMap { events[$0] }.map {
            AttemptEvents(buildID: $0.batch.buildId, attempt: $0.batch.attempt, workerID: $0.batch.workerId,
                          summary: BuildEventSummary($0.events))
        }
    }

    private func appendLogs(of attempts: [AttemptEvents], on connection: PostgresConnection) async throws {
        var builds: [UUID] = [], attemptNumbers: [Int] = [], workers: [UUID] = [], lineNumbers: [Int] = [], texts: [String] = []
        for events in attempts {
            for run in events.summary.logs {
                for (offset, line) in run.lines.enumerated() {
                    builds.append(events.buildID)
                    attemptNumbers.append(events.attempt)
                    workers.append(events.workerID)
                    lineNumbers.append(run.first + offset)
                    texts.append(line)
                }
            }
        }
        guard !texts.isEmpty else { return }
        // Only the worker that claimed the attempt writes its log, while it runs
        // (a lost worker's lines after its attempt was given to another are dropped
        // with it; a worker's lines come before its result, in the same batch or earlier).
        try await connection.query("""
            INSERT INTO build_log_lines (build_id, attempt, number, text)
            SELECT u.build_id, u.attempt, u.number, u.text
            FROM unnest(\(builds)::uuid[], \(attemptNumbers)::int8[], \(workers)::uuid[], \(lineNumbers)::int8[], \(texts)::text[])
                AS u(build_id, attempt, worker_id, number, text)
            JOIN builds b ON b.id = u.build_id AND b.attempt = u.attempt AND b.worker_id = u.worker_id
                         AND b.status = 'in_progress'
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Stages move only forward; a build's current stage follows a stage
    /// that really started, and its progress only grows. Returns the stages
    /// this move completed, with their durations.
    private func moveStages(of attempts: [AttemptEvents], on connection: PostgresConnection) async throws -> [StageTiming] {
        guard !attempts.isEmpty else { return [] }
        var builds: [UUID] = [], names: [String] = [], statuses: [String] = [], predecessors: [String] = []
        for events in attempts {
            for (stage, status) in events.summary.stages {
                builds.append(events.buildID)
                names.append(stage.rawValue)
                statuses.append(status.rawValue)
                predecessors.append(status.predecessors.map(\.rawValue).joined(separator: ","))
            }
        }
        let progressBuilds = attempts.map(\.buildID)
        let progress = attempts.map { min(max($0.summary.highestProgress ?? 0, 0), 99) }
        return try await connection.query("""
            WITH moved AS (
                UPDATE build_stages s SET status = u.status,
                    started_at = CASE WHEN u.status = 'skipped' THEN s.started_at ELSE COALESCE(s.started_at, now()) END,
                    completed_at = CASE WHEN u.status IN ('completed', 'failed', 'skipped') THEN now() ELSE s.completed_at END
                FROM unnest(\(builds)::uuid[], \(names)::text[], \(statuses)::text[], \(predecessors)::text[])
                    AS u(build_id, name, status, predecessors)
                WHERE s.build_id = u.build_id AND s.name = u.name AND s.status = ANY(string_to_array(u.predecessors, ','))
                RETURNING s.build_id, s.name, s.status, s.position, s.started_at, s.completed_at
            ), progressed AS (
                UPDATE builds b SET
                    progress = GREATEST(b.progress, p.progress),
                    current_stage = COALESCE(
                        (SELECT name FROM moved WHERE moved.build_id = b.id AND status = 'in_progress' ORDER BY position DESC LIMIT 1),
                        b.current_stage)
                FROM unnest(\(progressBuilds)::uuid[], \(progress)::int8[]) AS p(id, progress)
                WHERE b.id = p.id
                RETURNING b.id, b.architecture
            )
            SELECT p.architecture, m.name, extract(epoch FROM m.completed_at - m.started_at)::float8
            FROM moved m JOIN progressed p ON p.id = m.build_id
            WHERE m.status = 'completed' AND m.completed_at > m.started_at
            """, logger: logger).all { row in
                let (architecture, stage, seconds) = try row.decode((String, String, Double).self)
                return StageTiming(architecture: architecture, stage: stage, seconds: seconds)
            }
    }
}

/// How long a completed stage of a build of `architecture` took, in seconds (the database's clock).
public struct StageTiming: Sendable, Equatable {
    public var architecture: String
    public var stage: String
    public var seconds: Double
}
