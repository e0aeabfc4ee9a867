import FarmModel
import Testing

@Suite struct StatusTransitionTests {
    @Test func buildTransitionsStartAndEndWhereTheBuildsLifeSays() {
        #expect(BuildTransition.submit.from.isEmpty && BuildTransition.submit.to == .queued)
        #expect(BuildTransition.claim.from == [.queued] && BuildTransition.claim.to == .in_progress)
        #expect(BuildTransition.complete.from == [.in_progress] && BuildTransition.complete.to == .completed)
        #expect(BuildTransition.fail.from == [.in_progress] && BuildTransition.fail.to == .failed)
        #expect(BuildTransition.requeue.from == [.in_progress] && BuildTransition.requeue.to == .queued)
        #expect(BuildTransition.cancel.from == [.queued, .in_progress] && BuildTransition.cancel.to == .cancelled)
        #expect(BuildTransition.reuseFromCache.from == [.in_progress] && BuildTransition.reuseFromCache.to == .completed)
    }

    @Test func buildStatusMovesExactlyAlongTheTransitions() {
        let moves = Set(BuildStatus.allCases.flatMap { status in
            BuildStatus.allCases.filter { status.canMove(to: $0) }.map { "\(status.rawValue)→\($0.rawValue)" }
        })
        #expect(moves == ["queued→in_progress", "queued→cancelled", "in_progress→completed", "in_progress→failed",
                          "in_progress→cancelled", "in_progress→queued"])
    }

    /// The store locks a running attempt once, however it ends.
    @Test func anAttemptEndsFromTheSameStatusesHoweverItEnds() {
        #expect(BuildTransition.complete.from == BuildTransition.fail.from)
        #expect(BuildTransition.requeue.from == BuildTransition.fail.from)
        #expect(BuildTransition.reuseFromCache.from == BuildTransition.fail.from)
    }

    @Test func finishedBuildsTakeNoTransition() {
        for transition in BuildTransition.allCases {
            #expect(!transition.from.contains { $0.isFinished }, "\(transition) starts from a finished build")
        }
    }

    @Test func deploymentTargetTransitionsStartAndEndWhereTheTargetsLifeSays() {
        #expect(DeploymentTargetTransition.start.from == [.pending] && DeploymentTargetTransition.start.to == .in_progress)
        #expect(DeploymentTargetTransition.cancel.from == [.pending] && DeploymentTargetTransition.cancel.to == .cancelled)
        #expect(DeploymentTargetTransition.complete.from == [.in_progress]
                && DeploymentTargetTransition.complete.to == .completed)
        #expect(DeploymentTargetTransition.failInstall.from == [.in_progress]
                && DeploymentTargetTransition.failInstall.to == .failed)
        #expect(DeploymentTargetTransition.failRollback.from == [.completed]
                && DeploymentTargetTransition.failRollback.to == .failed)
        #expect(DeploymentTargetTransition.rollBack.from == [.completed] && DeploymentTargetTransition.rollBack.to == .rolled_back)
    }

    @Test func endedTargetsTakeNoTransition() {
        let ended: [DeploymentTargetStatus] = [.failed, .rolled_back, .cancelled]
        for status in ended {
            #expect(!DeploymentTargetStatus.allCases.contains { DeploymentTargetTransition.allows(status, to: $0) })
        }
        #expect(DeploymentTargetTransition.allows(.pending, to: .in_progress))
        #expect(!DeploymentTargetTransition.allows(.pending, to: .completed))
    }
}
