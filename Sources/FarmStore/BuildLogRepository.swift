import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Build log lines, numbered per attempt.
public struct BuildLogRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Up to `limit` lines of an attempt (the build's current one by
    /// default) after line `after`; nil when the build does not exist.
    public func page(of buildID: UUID, attempt: Int?, after: Int, limit: Int) async throws -> LogPage? {
        try await follow(buildID, attempt: attempt, after: after, limit: limit)?.page
    }

    /// A page of the log, and where the build stood when it was read (for the event stream).
    public func follow(_ buildID: UUID, attempt: Int?, after: Int, limit: Int) async throws
        -> (page: LogPage, progress: BuildProgress)? {
        try await client.withConnection { connection in
            try await Self.read(buildID, attempt: attempt, after: after, limit: limit, on: connection, logger: logger)
        }
    }

    private static func read(_ buildID: UUID, attempt: Int?, after: Int, limit: Int, on connection: PostgresConnection,
                             logger: Logger) async throws -> (page: LogPage, progress: BuildProgress)? {
        // Status before lines: a build finished by then had every line
        // stored, since workers report their lines before their result.
        guard let progress = try await Self.progress(of: buildID, on: connection, logger: logger) else { return nil }
        let current = progress.status.attempt
        let attempt = attempt ?? current
        let lines = try await connection.query("""
            SELECT number, text FROM build_log_lines
            WHERE build_id = \(buildID) AND attempt = \(attempt) AND number > \(after)
            ORDER BY number LIMIT \(limit)
            """, logger: logger).all { row in
            let (number, text) = try row.decode((Int, String).self)
            return LogLine(number: number, text: text)
        }
        let finished = attempt < current || progress.status.status.isFinished
        let page = LogPage(attempt: attempt, lines: lines, nextAfter: lines.last?.number ?? after,
                           finished: finished && lines.count < limit)
        return (page, progress)
    }

    /// The build's status, attempt, progress and stages; nil when there is no such build.
    private static func progress(of buildID: UUID, on connection: PostgresConnection, logger: Logger) async throws
        -> BuildProgress? {
        let row = try await connection.query("""
            SELECT attempt, status, progress,
                   ARRAY(SELECT name FROM build_stages WHERE build_id = b.id ORDER BY position),
                   ARRAY(SELECT status FROM build_stages WHERE build_id = b.id ORDER BY position)
            FROM builds b WHERE id = \(buildID)
            """, logger: logger).first { try $0.decode((Int, String, Int, [String], [String]).self) }
        guard let (attempt, statusText, percent, names, statuses) = row else { return nil }
        guard let status = BuildStatus(rawValue: statusText) else {
            throw StoreError.unavailable("build \(buildID.lowercased) has unknown status \(statusText)")
        }
        var stages: [BuildProgress.Stage] = []
        for (name, stageStatus) in zip(names, statuses) {
            if let name = BuildStage(rawValue: name), let stageStatus = StageStatus(rawValue: stageStatus) {
                stages.append(BuildProgress.Stage(name: name, status: stageStatus))
            }
        }
        return BuildProgress(status: status, attempt: attempt, percent: percent, stages: stages)
    }

    /// Stores log lines once each: a replayed event's lines are already there.
    static func append(_ buildID: UUID, attempt: Int, first: Int, lines: [String], on connection: PostgresConnection,
                       logger: Logger) async throws {
        guard !lines.isEmpty else { return }
        try await connection.query("""
            INSERT INTO build_log_lines (build_id, attempt, number, text)
            SELECT \(buildID), \(attempt), \(first) + ordinality - 1, text
            FROM unnest(\(lines)::text[]) WITH ORDINALITY AS l(text, ordinality)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// The last `lines` lines of an attempt, oldest first.
    static func tail(of buildID: UUID, attempt: Int, lines: Int, on connection: PostgresConnection, logger: Logger)
        async throws -> [String] {
        try await connection.query("""
            SELECT text FROM (
                SELECT number, text FROM build_log_lines WHERE build_id = \(buildID) AND attempt = \(attempt)
                ORDER BY number DESC LIMIT \(lines)
            ) AS t ORDER BY number
            """, logger: logger).all { try $0.decode(String.self) }
    }
}
