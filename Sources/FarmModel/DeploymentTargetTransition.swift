/// One target system's state machine in a deployment (see
/// `DeploymentTargetStatus`): every change of a target's status is one of these.
public enum DeploymentTargetTransition: String, StatusTransition {
    /// The rollout orders the target's install (its wave has come).
    case start
    /// The rollout stops before reaching the target (halted or cancelled deployment).
    case cancel
    /// The agent installed the kernel.
    case complete
    /// The install failed, or the agent went silent during it.
    case failInstall
    /// The agent rolled a completed target back, as the rollout asked.
    case rollBack
    /// The rollback the rollout asked of a completed target failed, or the agent went silent during it.
    case failRollback

    public var from: [DeploymentTargetStatus] {
        switch self {
        case .start, .cancel: [.pending]
        case .complete, .failInstall: [.in_progress]
        case .rollBack, .failRollback: [.completed]
        }
    }

    public var to: DeploymentTargetStatus {
        switch self {
        case .start: .in_progress
        case .cancel: .cancelled
        case .complete: .completed
        case .failInstall, .failRollback: .failed
        case .rollBack: .rolled_back
        }
    }
}
