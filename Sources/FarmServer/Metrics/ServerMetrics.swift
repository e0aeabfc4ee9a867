import FarmModel
import FarmStore
import FarmTelemetry
import Foundation
import Metrics

/// The API's metrics beside Hummingbird's per-route request metrics:
/// what the farm holds (counted from PostgreSQL when `/metrics` is read)
/// and what this process saw happen (claims, stages, the recorder, streams, downloads).
enum ServerMetrics {
    static let builds = GaugeFamily("kfarm_builds", dimensions: ["status"])
    static let queueDepth = GaugeFamily("kfarm_queue_depth", dimensions: ["architecture", "priority"])
    static let outboxBacklog = GaugeFamily("kfarm_outbox_backlog", dimensions: [])
    static let outboxAge = GaugeFamily("kfarm_outbox_oldest_age_seconds", dimensions: [])
    static let workers = GaugeFamily("kfarm_workers", dimensions: ["architecture", "state"])
    static let artifactBytesStored = GaugeFamily("kfarm_artifact_stored_bytes", dimensions: [])
    static let deployments = GaugeFamily("kfarm_deployments", dimensions: ["status"])
    static let targets = GaugeFamily("kfarm_deployment_targets", dimensions: ["status"])

    /// Sets the farm-wide gauges from a fresh count; every status, architecture
    /// and priority the farm knows is reported, at 0 when nothing has it.
    static func record(_ census: CensusRepository.Census) {
        let architectures = Architecture.allCases.map(\.rawValue)
        builds.set(census[.builds], zeros: BuildStatus.allCases.map { [$0.rawValue] })
        queueDepth.set(census[.queued], zeros: architectures.flatMap { a in BuildPriority.allCases.map { [a, $0.rawValue] } })
        outboxBacklog.set(census[.outboxBacklog], zeros: [[]])
        outboxAge.set(census[.outboxAge], zeros: [[]])
        workers.set(census[.workers], zeros: architectures.flatMap { a in ["idle", "busy", "offline"].map { [a, $0] } })
        artifactBytesStored.set(census[.artifactBytes], zeros: [[]])
        deployments.set(census[.deployments], zeros: DeploymentStatus.allCases.map { [$0.rawValue] })
        targets.set(census[.targets], zeros: DeploymentTargetStatus.allCases.map { [$0.rawValue] })
    }

    /// Submit to the first attempt's claim, in the database's clock.
    static func claimed(architecture: String, waited seconds: TimeInterval) {
        Timer(label: "kfarm_build_submit_to_claim_seconds", dimensions: [("architecture", architecture)],
              preferredDisplayUnit: .seconds).recordSeconds(max(0, seconds))
    }

    static func recorded(_ timings: [StageTiming]) {
        for timing in timings {
            Timer(label: "kfarm_build_stage_duration_seconds",
                  dimensions: [("architecture", timing.architecture), ("stage", timing.stage)],
                  preferredDisplayUnit: .seconds).recordSeconds(max(0, timing.seconds))
        }
    }

    /// From a worker sending an event batch to the recorder committing it (the two clocks may differ a little).
    static func recorderLag(_ seconds: TimeInterval) {
        Timer(label: "kfarm_recorder_lag_seconds", preferredDisplayUnit: .seconds).recordSeconds(max(0, seconds))
    }

    /// Event batches the recorder refused: malformed, or sent by a worker for another worker's build.
    static func refusedEventBatch() {
        Counter(label: "kfarm_recorder_refused_batches_total").increment()
    }

    /// Open `/builds/{id}/events` streams.
    static let followers = Meter(label: "kfarm_build_event_followers")

    static func served(artifactBytes: Int) {
        Counter(label: "kfarm_artifact_served_bytes_total").increment(by: artifactBytes)
    }
}
