import FarmStore
import Logging
import ServiceLifecycle

/// Re-dispatches builds whose worker stopped renewing its lease, and fails
/// them as infrastructure failures after the attempt limit. Safe with
/// several API replicas: expired builds are locked with SKIP LOCKED.
struct LeaseReaper: Service {
    let builds: BuildRepository
    let maxAttempts: Int
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async throws {
        try await repeatUntilShutdown(every: interval, logger: logger, failure: "reaping leases failed") {
            let (requeued, failed) = try await builds.reapExpiredLeases(maxAttempts: maxAttempts)
            if !requeued.isEmpty || !failed.isEmpty {
                logger.warning("lost workers' builds handled", metadata: ["requeued": "\(requeued.count)", "failed": "\(failed.count)"])
            }
        }
    }
}
