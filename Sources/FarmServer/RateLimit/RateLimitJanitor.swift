import FarmStore
import Logging
import ServiceLifecycle

/// Deletes finished rate-limit windows once per window, so the counters
/// table stays small. Runs beside the server until shutdown.
struct RateLimitJanitor: Service {
    let store: RateLimitRepository
    let policy: RateLimitPolicy
    let logger: Logger

    func run() async throws {
        try await repeatUntilShutdown(every: .seconds(policy.windowSeconds), logger: logger,
                                      failure: "pruning rate-limit windows failed") {
            try await store.prune(olderThan: 2 * policy.windowSeconds)
        }
    }
}
