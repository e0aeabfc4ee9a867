import FarmMachine

/// Patience with a farm that stops answering for a while (a restart, a
/// timeout, 429 or 5xx) while a command follows something for minutes:
/// each failure in a row waits longer, and after `limit` of them the
/// command gives up as not finished (exit 2). A refusal no retry can
/// change (any other 4xx) ends it at once.
struct Patience {
    var limit = 8
    private var failures = 0

    mutating func succeeded() {
        failures = 0
    }

    mutating func failed(_ error: any Error, doing what: String) async throws {
        if let refusal = error as? FarmClientError, (400..<500).contains(refusal.status), refusal.status != 429 { throw refusal }
        if error is CancellationError { throw error }
        failures += 1
        if failures > limit { throw ClientFailure.notFinished("\(what) keeps failing: \(error)") }
        try await Task.sleep(for: .milliseconds(250 * (1 << min(failures, 5))))
    }

    /// `body`'s answer, asked again through failures as above.
    mutating func retrying<Answer>(_ what: String, _ body: () async throws -> Answer) async throws -> Answer {
        while true {
            do {
                let answer = try await body()
                succeeded()
                return answer
            } catch {
                try await failed(error, doing: what)
            }
        }
    }
}
