import FarmModel
import Foundation
import Testing

@Suite struct BuildEventSummaryTests {
    @Test func aBatchCollapsesToLastStatusesConsecutiveLinesAndTheHighestProgress() {
        let summary = BuildEventSummary([
            .stage(name: .initialization, status: .in_progress),
            .log(first: 1, lines: ["a", "b"]),
            .log(first: 3, lines: ["c"]),
            .stage(name: .initialization, status: .completed),
            .progress(percent: 20),
            .stage(name: .compiling_core, status: .in_progress),
            .log(first: 10, lines: ["j"]),
            .progress(percent: 10),
            .result(.failed(.build, "no")),
        ])
        #expect(summary.logs == [.init(first: 1, lines: ["a", "b", "c"]), .init(first: 10, lines: ["j"])])
        #expect(summary.stages.map(\.stage) == [.initialization, .compiling_core])
        #expect(summary.stages.map(\.status) == [.completed, .in_progress])
        #expect(summary.highestProgress == 20)
        #expect(summary.outcome == .failed(.build, "no"))
        #expect(summary.changesTheBuild)
    }

    @Test func batchesWhoseNumbersOverflowAreNotWellFormed() {
        func batch(attempt: Int = 1, _ events: [BuildEventPayload]) -> BuildEventBatch {
            BuildEventBatch(buildId: UUID(), attempt: attempt, workerId: UUID(), events: events)
        }
        #expect(batch([.log(first: 1, lines: ["a"]), .progress(percent: 5)]).isWellFormed)
        #expect(batch([.log(first: Int(Int32.max), lines: ["last"])]).isWellFormed)
        #expect(!batch([.log(first: Int.max, lines: ["a", "b"])]).isWellFormed)
        #expect(!batch([.log(first: Int(Int32.max), lines: ["a", "b"])]).isWellFormed)
        #expect(!batch([.log(first: 0, lines: ["a"])]).isWellFormed)
        #expect(!batch([.log(first: Int.min, lines: ["a"])]).isWellFormed)
        #expect(!batch(attempt: Int.max, []).isWellFormed)
        #expect(!batch(attempt: 0, []).isWellFormed)
    }

    /// A NUL PostgreSQL cannot store, anywhere a worker can put text, makes the batch a dead letter
    /// rather than the recorder's transaction fail for every batch delivered with it, again and again.
    @Test func batchesWithTextPostgreSQLCannotStoreAreNotWellFormed() {
        func batch(_ event: BuildEventPayload) -> BuildEventBatch {
            BuildEventBatch(buildId: UUID(), attempt: 1, workerId: UUID(), events: [event])
        }
        #expect(!batch(.log(first: 1, lines: ["fine", "nul\u{0}here"])).isWellFormed)
        #expect(!batch(.result(.failed(.build, "reason\u{0}"))).isWellFormed)
        var tail = BuildOutcome.failed(.build, "reason")
        tail.failure?.logTail = ["\u{0}"]
        #expect(!batch(.result(tail)).isWellFormed)
        var findings = BuildOutcome.completed
        findings.findings = BuildFindings(enabledDependencies: [], warnings: ["w\u{0}"])
        #expect(!batch(.result(findings)).isWellFormed)
        #expect(batch(.log(first: 1, lines: ["tab\tand ünïcode and \u{7f}"])).isWellFormed)
    }

    @Test func onlyLinesLeaveTheBuildAlone() {
        #expect(!BuildEventSummary([.log(first: 1, lines: ["x"])]).changesTheBuild)
    }

    @Test func stagesOnlyMoveForward() {
        #expect(StageStatus.completed.predecessors == [.pending, .in_progress])
        #expect(StageStatus.in_progress.predecessors == [.pending])
        #expect(StageStatus.pending.predecessors.isEmpty)
    }
}
