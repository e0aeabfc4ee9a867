import FarmStore
import Testing

/// Work deaf to cancellation, as a PostgresNIO request caught by a restart was: it never ends.
private func deaf() async -> Int {
    await withCheckedContinuation { (_: CheckedContinuation<Int, Never>) in }
}

@Suite struct AbandonableWorkTests {
    @Test func workThatNeverEndsIsLeftBehindWithAnError() async throws {
        await #expect(throws: StoreError.unreachable("the test's work did not finish within 0.1 seconds")) {
            try await AbandonableWork.run(within: .milliseconds(100), "the test's work") { await deaf() }
        }
    }

    @Test func workThatEndsInTimeGivesItsResultOrItsError() async throws {
        #expect(try await AbandonableWork.run(within: .seconds(30), "work") { 42 } == 42)
        await #expect(throws: StoreError.conflict("no")) {
            try await AbandonableWork.run(within: .seconds(30), "work") { () async throws -> Int in throw StoreError.conflict("no") }
        }
    }

    @Test func aVerdictWithoutAnErrorLeavesTheResultToTheWork() async throws {
        let result = try await AbandonableWork.run({ () async throws -> String in
            try await Task.sleep(for: .milliseconds(200))
            return "done"
        }, unless: {})
        #expect(result == "done")
    }

    @Test func aCancelledCallerReturnsThoughItsWorkIsDeaf() async throws {
        let caller = Task { try await AbandonableWork.run(within: .seconds(3600), "deaf work") { await deaf() } }
        try await Task.sleep(for: .milliseconds(50))
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
    }
}
