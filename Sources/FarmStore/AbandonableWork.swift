import Synchronization

/// Database work whose caller may walk away from it. A PostgresNIO request
/// caught by a PostgreSQL restart can stay unanswered for good, deaf to
/// cancellation (seen under `scripts/chaos.sh`: the recorder and a batch of
/// submits waited for ever while the pool served everyone else). Awaiting
/// such work, even after cancelling it, would hold its caller for good, so
/// here the loser of the race is cancelled and left behind, never awaited.
public enum AbandonableWork {
    /// The result of `work`, or the error `verdict` throws first; `verdict`
    /// returning without an error leaves the result to `work`.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T,
                                        unless verdict: @escaping @Sendable () async throws -> Void) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.await(continuation)
                let worker = Task {
                    do { race.settle(.success(try await work())) } catch { race.settle(.failure(error)) }
                }
                let judge = Task {
                    do { try await verdict() } catch { race.settle(.failure(error)) }
                }
                race.onSettled { worker.cancel(); judge.cancel() }
            }
        } onCancel: {
            race.settle(.failure(CancellationError()))
        }
    }

    /// The result of `work`, or `StoreError.unreachable` once it has taken `limit`.
    public static func run<T: Sendable>(within limit: Duration, _ what: String,
                                        _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await run(work) {
            try await Task.sleep(for: limit)
            throw StoreError.unreachable("\(what) did not finish within \(limit)")
        }
    }
}

/// The first result wins; whatever comes later is dropped.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var onSettled: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func await(_ continuation: CheckedContinuation<T, any Error>) {
        let settled = state.withLock { state -> Result<T, any Error>? in
            if state.result == nil { state.continuation = continuation }
            return state.result
        }
        if let settled { continuation.resume(with: settled) }
    }

    func onSettled(_ action: @escaping @Sendable () -> Void) {
        let settled = state.withLock { state -> Bool in
            if state.result == nil { state.onSettled = action }
            return state.result != nil
        }
        if settled { action() }
    }

    func settle(_ result: Result<T, any Error>) {
        let (continuation, action) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard state.result == nil else { return (nil, nil) }
            state.result = result
            defer { state.continuation = nil; state.onSettled = nil }
            return (state.continuation, state.onSettled)
        }
        // The loser is cancelled before the caller goes on (an abandoned request handler must not race the server for its body).
        action?()
        continuation?.resume(with: result)
    }
}
