import Logging
import ServiceLifecycle

/// Runs `pass` every `interval` until a graceful shutdown. A pass that
/// fails (the database away, say) is logged, and the next runs as usual:
/// the background services beside the API keep going through outages.
func repeatUntilShutdown(every interval: Duration, logger: Logger, failure: Logger.Message,
                         _ pass: @escaping @Sendable () async throws -> Void) async throws {
    try await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await pass()
            } catch {
                logger.warning(failure, metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
