import FarmStore
import FarmTelemetry
import Hummingbird
import Logging
import Synchronization

/// `/metrics` in Prometheus's text format, open like `/ready` (scrapers
/// carry no token; nothing in it names a project, user or build). The
/// farm-wide gauges are counted from PostgreSQL at most once a second, so
/// a flood of scrapes costs one count per second; when PostgreSQL does not
/// answer, the last count is served with the process's own metrics.
final class MetricsRoutes: Sendable {
    let census: CensusRepository
    let logger: Logger
    private let lastCount = Mutex<ContinuousClock.Instant?>(nil)

    init(census: CensusRepository, logger: Logger) {
        self.census = census
        self.logger = logger
    }

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/metrics", .open) { _, _ in
                await self.refresh()
                return MetricsServer.response()
            },
        ]
    }

    private func refresh() async {
        let due = lastCount.withLock { last in
            guard last.map({ ContinuousClock.now - $0 >= .seconds(1) }) ?? true else { return false }
            last = .now
            return true
        }
        guard due else { return }
        do {
            ServerMetrics.record(try await census.take())
        } catch {
            logger.warning("counting the farm for /metrics failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
