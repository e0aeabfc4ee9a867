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
        try await client.withConnection { connection in
            // Status before lines: a build finished by then had every line
            // stored, since workers report their lines before their result.
            let build = try await connection.query(
                "SELECT attempt, status FROM builds WHERE id = \(buildID)", logger: logger
            ).first { try $0.decode((Int, String).self) }
            guard let (current, status) = build else { return nil }
            let attempt = attempt ?? current
            let lines = try await connection.query("""
                SELECT number, text FROM build_log_lines
                WHERE build_id = \(buildID) AND attempt = \(attempt) AND number > \(after)
                ORDER BY number LIMIT \(limit)
                """, logger: logger).all { row in
                let (number, text) = try row.decode((Int, String).self)
                return LogLine(number: number, text: text)
            }
            let finished = attempt < current || (BuildStatus(rawValue: status)?.isFinished ?? false)
            return LogPage(attempt: attempt, lines: lines, nextAfter: lines.last?.number ?? after,
                           finished: finished && lines.count < limit)
        }
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
