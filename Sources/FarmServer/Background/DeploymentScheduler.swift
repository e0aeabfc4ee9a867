import FarmStore
import Logging
import ServiceLifecycle

/// Starts deployments when their `scheduledFor` comes, and fails targets
/// whose agent stopped heartbeating mid-order; both advance the rollout
/// (the next wave, a halt, the end). Reports from agents advance it too, at
/// once. Safe with several API replicas: deployments and targets are locked
/// with SKIP LOCKED.
struct DeploymentScheduler: Service {
    let rollouts: RolloutRepository
    /// How long an agent may be silent while it holds an order.
    let agentSilence: Double
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        try await repeatUntilShutdown(every: interval, logger: logger, failure: "scheduling deployments failed") {
            for id in try await rollouts.startDue() {
                logger.info("deployment started", metadata: ["deployment": "\(id.uuidString.lowercased())"])
            }
            let silent = try await rollouts.failSilentTargets(after: agentSilence)
            if silent > 0 { logger.warning("targets failed: their agents went silent", metadata: ["targets": "\(silent)"]) }
        }
    }
}
