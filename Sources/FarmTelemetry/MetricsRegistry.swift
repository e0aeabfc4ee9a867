import Metrics
import Prometheus

/// The process's metrics: every swift-metrics counter, gauge and timer of
/// kfarm (and of Hummingbird's metrics middleware) lands in one Prometheus
/// registry once `bootstrap()` ran; `/metrics` prints it.
public enum MetricsRegistry {
    public static let prometheus = PrometheusCollectorRegistry()

    /// Timers become histograms with these buckets: HTTP requests take
    /// milliseconds, kernel stages and queue waits take minutes.
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600), .seconds(1800), .seconds(3600),
    ]

    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: prometheus)
        factory.defaultDurationHistogramBuckets = durationBuckets
        factory.nameAndLabelSanitizer = { name, labels in (MetricCatalog.renamed[name] ?? name, labels) }
        MetricsSystem.bootstrap(factory)
    }()

    /// Routes swift-metrics into the registry; later calls do nothing (metrics are process-wide).
    public static func bootstrap() {
        _ = bootstrapped
    }

    /// The registry in Prometheus's text exposition format, with help texts.
    public static func exposition() -> [UInt8] {
        MetricCatalog.annotated(prometheus.emitToBuffer())
    }
}
