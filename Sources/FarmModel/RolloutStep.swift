import Foundation

/// One target as the scheduler weighs it.
public struct RolloutTarget: Sendable, Equatable {
    public var systemID: UUID
    public var status: DeploymentTargetStatus
    /// Told to roll back, not yet reported back.
    public var rollbackRequested: Bool

    public init(systemID: UUID, status: DeploymentTargetStatus, rollbackRequested: Bool = false) {
        self.systemID = systemID
        self.status = status
        self.rollbackRequested = rollbackRequested
    }
}

/// What the scheduler does next with a deployment in progress, decided
/// from its options and its targets (in rollout order) alone.
///
/// The health gate: the rollout halts, starting no new wave, once failed
/// targets exceed `maxFailurePercentage` of all targets — or at the first
/// failure with `rollbackOnFailure`, which also tells every target that
/// switched to the new kernel to roll back. Targets already installing
/// finish either way. When every target is settled the deployment ends:
/// `rolled_back` if it rolled back, `failed` if any target failed,
/// `completed` otherwise.
public struct RolloutStep: Sendable, Equatable {
    /// Pending targets to send the artifact to now (at most a wave's free places).
    public var start: [UUID] = []
    /// Pending targets that will never start: the rollout halted.
    public var cancel: [UUID] = []
    /// Targets on the new kernel to tell to roll back.
    public var rollBack: [UUID] = []
    /// The deployment's final status, once every target is settled.
    public var finish: DeploymentStatus?
    /// Why the rollout halted, for pending targets' results.
    public var haltReason: String?

    public init(start: [UUID] = [], cancel: [UUID] = [], rollBack: [UUID] = [], finish: DeploymentStatus? = nil,
                haltReason: String? = nil) {
        self.start = start
        self.cancel = cancel
        self.rollBack = rollBack
        self.finish = finish
        self.haltReason = haltReason
    }

    public static func next(_ options: DeploymentOptions, _ targets: [RolloutTarget]) -> RolloutStep {
        let failed = targets.filter { $0.status == .failed }.count
        let halted = failed > 0 && (options.rollbackOnFailure || failed * 100 > options.maxFailurePercentage * targets.count)
        var step = RolloutStep()
        var pending = targets.filter { $0.status == .pending }.map(\.systemID)
        if halted {
            step.haltReason = options.rollbackOnFailure
                ? "not started: a target failed and the deployment rolls back"
                : "not started: \(failed) of \(targets.count) targets failed, over the \(options.maxFailurePercentage)% allowed"
            step.cancel = pending
            pending = []
            if options.rollbackOnFailure {
                step.rollBack = targets.filter { $0.status == .completed && !$0.rollbackRequested }.map(\.systemID)
            }
        }
        let installing = targets.filter { $0.status == .in_progress }.count
        step.start = Array(pending.prefix(max(0, options.maxParallelSystems - installing)))
        let waitingForRollback = targets.contains { $0.status == .completed && $0.rollbackRequested }
        if installing == 0 && pending.isEmpty && step.rollBack.isEmpty && !waitingForRollback {
            step.finish = halted && options.rollbackOnFailure ? .rolled_back
                : targets.contains { $0.status == .failed } ? .failed : .completed
        }
        return step
    }
}
