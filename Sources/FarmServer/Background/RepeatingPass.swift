import FarmStore
import Logging
import ServiceLifecycle

/// Runs `pass` every `interval` until a graceful shutdown. A pass that
/// fails (the database away, say) is logged, and the next runs as usual:
/// the background services beside the API keep going through outages. A
/// pass that has not ended after `passPatience` is left behind as failed.
func repeatUntilShutdown(every interval: Duration, passPatience: Duration = .seconds(120), logger: Logger, failure: Logger.Message,
                         _ pass: @escaping @Sendable () async throws -> Void) async throws {
    try await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await AbandonableWork.run(within: passPatience, "a pass", pass)
            } catch {
                logger.warning(failure, metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
