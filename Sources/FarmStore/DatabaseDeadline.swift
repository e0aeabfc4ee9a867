/// PostgresClient queues a request for a connection for as long as
/// PostgreSQL is away (it has no acquire timeout), so a request would hang.
/// This bounds that wait: work not finished after `patience` while the
/// database does not answer a probe within `probe` is cancelled, left
/// behind (see `AbandonableWork`) and reported as `StoreError.unreachable`.
/// Work that is merely long (a large upload) goes on while the database answers.
public struct DatabaseDeadline: Sendable {
    /// Three seconds plus the probe leaves the promised five-second answer
    /// room for a loaded machine (CI saw 1.05 s of scheduling on top of 4.5).
    public static let defaultPatience: Duration = .seconds(3)

    let store: Store
    let patience: Duration
    let probe: Duration

    public init(store: Store, patience: Duration = DatabaseDeadline.defaultPatience, probe: Duration = .milliseconds(500)) {
        self.store = store
        self.patience = patience
        self.probe = probe
    }

    /// Seconds a client should wait before trying again.
    public static let retryAfter = 5

    public func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await AbandonableWork.run(work) { [store, patience, probe] in
            try await Task.sleep(for: patience)
            guard await store.isReachable(timeout: probe) else {
                throw StoreError.unreachable("PostgreSQL did not answer within \(patience + probe)")
            }
        }
    }
}
