/// Requests that arrive while a transaction is committing wait and then
/// commit together in the next one: under load a batch costs a handful of
/// statements and one commit for all of its requests, and a row every
/// request must take (the day's build counter) is taken once per batch.
/// An idle caller commits at once, alone. One batch is in flight at a time.
actor GroupCommit<Input: Sendable, Output: Sendable> {
    typealias Commit = @Sendable ([Input]) async -> [Result<Output, any Error>]

    private struct Waiting {
        let input: Input
        let continuation: CheckedContinuation<Output, any Error>
    }

    private let limit: Int
    private let patience: Duration
    private let commit: Commit
    private var waiting: [Waiting] = []
    private var committing = false

    /// `commit` answers each input of a batch in order; `limit` caps a batch;
    /// a batch not committed within `patience` fails.
    init(limit: Int, patience: Duration = .seconds(30), commit: @escaping Commit) {
        self.limit = limit
        self.patience = patience
        self.commit = commit
    }

    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiting(input: input, continuation: continuation))
            if !committing {
                committing = true
                Task { await commitWaiting() }
            }
        }
    }

    private func commitWaiting() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(limit))
            waiting.removeFirst(batch.count)
            // A commit caught by a database restart may never return; its requests fail, the next batch goes on.
            let inputs = batch.map(\.input)
            let results: [Result<Output, any Error>]
            do {
                results = try await AbandonableWork.run(within: patience, "a group commit") { [commit] in await commit(inputs) }
            } catch {
                results = inputs.map { _ in .failure(error) }
            }
            precondition(results.count == batch.count, "a group commit must answer every input")
            for (entry, result) in zip(batch, results) { entry.continuation.resume(with: result) }
        }
        committing = false
    }
}
