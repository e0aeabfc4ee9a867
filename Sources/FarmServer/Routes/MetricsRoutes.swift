import FarmTelemetry
import Hummingbird
import Logging

/// `/metrics` in Prometheus's text format, open like `/ready` (scrapers
/// carry no token; nothing in it names a project, user or build). The
/// farm-wide gauges come from `FarmCensus` (a count at most once a second,
/// one at a time); when PostgreSQL does not answer, the last values are
/// served with the process's own metrics.
struct MetricsRoutes {
    let census: FarmCensus
    let logger: Logger

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/metrics", .open) { [census, logger] _, _ in
                do {
                    _ = try await census.current()
                } catch {
                    logger.warning("counting the farm for /metrics failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                return MetricsServer.response()
            },
        ]
    }
}
