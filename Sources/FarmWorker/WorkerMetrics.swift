import FarmModel
import Metrics

/// What a build worker did, on its `--metrics-port`: builds by
/// architecture and ending, how long each stage took, bytes uploaded, and
/// attempts whose events are not yet all confirmed by the broker.
enum WorkerMetrics {
    static func ended(_ architecture: Architecture, _ ending: String) {
        Counter(label: "kfarm_worker_builds_total", dimensions: [("architecture", architecture.rawValue), ("ending", ending)])
            .increment()
    }

    static func stage(_ architecture: Architecture, _ stage: BuildStage, took duration: Duration) {
        Timer(label: "kfarm_worker_stage_duration_seconds",
              dimensions: [("architecture", architecture.rawValue), ("stage", stage.rawValue)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    static func uploaded(bytes: Int) {
        Counter(label: "kfarm_worker_uploaded_bytes_total").increment(by: bytes)
    }

    static func spoolBacklog(attempts: Int) {
        Gauge(label: "kfarm_worker_spool_backlog_attempts").record(attempts)
    }
}
