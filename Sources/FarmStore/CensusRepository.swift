import Logging
import PostgresNIO

/// The farm counted in one statement, for `/metrics`: builds by status,
/// the queue by architecture and priority, the outbox's backlog and age,
/// workers by architecture and state, artifact bytes, deployments and
/// their targets by status.
public struct CensusRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// What was counted, by kind; each kind's values by label values.
    public struct Census: Sendable, Equatable {
        public var counts: [Kind: [[String]: Double]] = [:]

        public enum Kind: String, Sendable, CaseIterable {
            case builds, queued, outboxBacklog = "outbox_backlog", outboxAge = "outbox_age", workers
            case artifactBytes = "artifact_bytes", deployments, targets
        }

        public subscript(kind: Kind) -> [[String]: Double] { counts[kind] ?? [:] }
    }

    public func take() async throws -> Census {
        let rows = try await client.query("""
            SELECT 'builds', status, '', count(*)::float8 FROM builds GROUP BY status
            UNION ALL SELECT 'queued', architecture, priority, count(*)::float8 FROM builds
                WHERE status = 'queued' GROUP BY architecture, priority
            UNION ALL SELECT 'outbox_backlog', '', '', count(*)::float8 FROM outbox WHERE sent_at IS NULL
            UNION ALL SELECT 'outbox_age', '', '', COALESCE(extract(epoch FROM now() - min(created_at)), 0)::float8
                FROM outbox WHERE sent_at IS NULL
            UNION ALL SELECT 'workers', a, CASE WHEN offline THEN 'offline' WHEN busy THEN 'busy' ELSE 'idle' END,
                count(*)::float8 FROM worker_view, unnest(architectures) AS a GROUP BY 2, 3
            UNION ALL SELECT 'artifact_bytes', '', '', COALESCE(sum(size), 0)::float8
                FROM (SELECT DISTINCT ON (storage_key) size FROM artifacts) stored
            UNION ALL SELECT 'deployments', status, '', count(*)::float8 FROM deployments GROUP BY status
            UNION ALL SELECT 'targets', status, '', count(*)::float8 FROM deployment_targets GROUP BY status
            """, logger: logger)
        var census = Census()
        for try await (kind, first, second, value) in rows.decode((String, String, String, Double).self) {
            guard let kind = Census.Kind(rawValue: kind) else { continue }
            census.counts[kind, default: [:]][[first, second].filter { !$0.isEmpty }] = value
        }
        return census
    }
}
