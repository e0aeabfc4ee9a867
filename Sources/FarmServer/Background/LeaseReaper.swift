import FarmStore
import Foundation
import Logging
import ServiceLifecycle

/// Re-dispatches builds whose worker stopped renewing its lease, and fails
/// them as infrastructure failures after the attempt limit; and dispatches
/// again builds still queued `redispatchAfter` after their last dispatch
/// (its message may be gone). Safe with several API replicas: the builds
/// are locked with SKIP LOCKED.
struct LeaseReaper: Service {
    let builds: BuildRepository
    let maxAttempts: Int
    let redispatchAfter: TimeInterval
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async throws {
        try await repeatUntilShutdown(every: interval, logger: logger, failure: "reaping leases failed") {
            let (requeued, failed) = try await builds.reapExpiredLeases(maxAttempts: maxAttempts)
            if !requeued.isEmpty || !failed.isEmpty {
                logger.warning("lost workers' builds handled", metadata: ["requeued": "\(requeued.count)", "failed": "\(failed.count)"])
            }
            let redispatched = try await builds.redispatchStale(after: redispatchAfter)
            if !redispatched.isEmpty {
                logger.warning("builds still queued long after their dispatch were dispatched again",
                               metadata: ["builds": "\(redispatched.count)"])
            }
        }
    }
}
