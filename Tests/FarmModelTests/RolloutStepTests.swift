import FarmModel
import Foundation
import Testing

@Suite struct RolloutStepTests {
    private let ids = (0..<5).map { _ in UUID() }

    private func targets(_ statuses: [DeploymentTargetStatus], rollbackRequested: Set<Int> = []) -> [RolloutTarget] {
        statuses.enumerated().map { RolloutTarget(systemID: ids[$0], status: $1, rollbackRequested: rollbackRequested.contains($0)) }
    }

    @Test func wavesKeepAtMostMaxParallelSystemsInstalling() {
        let options = DeploymentOptions(maxParallelSystems: 2)
        #expect(RolloutStep.next(options, targets([.pending, .pending, .pending, .pending, .pending])).start == [ids[0], ids[1]])
        #expect(RolloutStep.next(options, targets([.completed, .in_progress, .pending, .pending, .pending])).start == [ids[2]])
        #expect(RolloutStep.next(options, targets([.in_progress, .in_progress, .pending, .pending, .pending])).start.isEmpty)
        let done = RolloutStep.next(options, targets([.completed, .completed, .completed, .completed, .completed]))
        #expect(done.finish == .completed && done.start.isEmpty)
    }

    @Test func aFailureWithRollbackHaltsAndRollsBackWhatSwitched() {
        let options = DeploymentOptions(rollbackOnFailure: true, maxParallelSystems: 2)
        let step = RolloutStep.next(options, targets([.completed, .failed, .in_progress, .pending, .pending]))
        #expect(step.start.isEmpty)
        #expect(step.cancel == [ids[3], ids[4]])
        #expect(step.rollBack == [ids[0]])
        #expect(step.finish == nil)
        // The one still installing finishes, then is rolled back too; the end waits for every rollback.
        let later = RolloutStep.next(options, targets([.completed, .failed, .completed, .cancelled, .cancelled], rollbackRequested: [0]))
        #expect(later.rollBack == [ids[2]] && later.finish == nil)
        let waiting = RolloutStep.next(options, targets([.rolled_back, .failed, .completed, .cancelled, .cancelled], rollbackRequested: [2]))
        #expect(waiting.rollBack.isEmpty && waiting.finish == nil)
        let end = RolloutStep.next(options, targets([.rolled_back, .failed, .rolled_back, .cancelled, .cancelled]))
        #expect(end.finish == .rolled_back)
    }

    @Test func withoutRollbackTheGateHaltsNewWavesAndTheEndIsFailed() {
        let options = DeploymentOptions(maxParallelSystems: 2)
        let step = RolloutStep.next(options, targets([.completed, .failed, .pending, .pending, .pending]))
        #expect(step.start.isEmpty && step.rollBack.isEmpty)
        #expect(step.cancel == [ids[2], ids[3], ids[4]])
        #expect(step.finish == .failed)
    }

    @Test func failuresWithinTheAllowedShareDoNotHaltTheRollout() {
        let options = DeploymentOptions(maxParallelSystems: 1, maxFailurePercentage: 20)
        // 1 of 5 failed = 20 %: not over the limit, the next wave starts.
        let step = RolloutStep.next(options, targets([.failed, .completed, .pending, .pending, .pending]))
        #expect(step.start == [ids[2]] && step.cancel.isEmpty)
        // 2 of 5 = 40 %: halted.
        let halted = RolloutStep.next(options, targets([.failed, .failed, .pending, .pending, .pending]))
        #expect(halted.start.isEmpty && halted.cancel == [ids[2], ids[3], ids[4]] && halted.finish == .failed)
        #expect(RolloutStep.next(options, targets([.failed, .completed, .completed, .completed, .completed])).finish == .failed)
    }
}
