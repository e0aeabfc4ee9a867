/// The build's state machine (see `BuildStatus`): every change of a build's
/// status is one of these.
public enum BuildTransition: String, StatusTransition {
    /// A new build waits in its architecture's queue.
    case submit
    /// A worker takes the queued attempt.
    case claim
    /// The attempt built the kernel.
    case complete
    /// The attempt failed for a build reason, or for an infrastructure reason after the last attempt.
    case fail
    /// The attempt failed for an infrastructure reason (lost worker, expired lease): the next attempt waits in the queue.
    case requeue
    /// Stopped by a person, before or while it runs.
    case cancel
    /// Completed with an artifact of the same inputs (the build cache) instead of building.
    case reuseFromCache

    public var from: [BuildStatus] {
        switch self {
        case .submit: []
        case .claim: [.queued]
        case .complete, .fail, .requeue, .reuseFromCache: [.in_progress]
        case .cancel: [.queued, .in_progress]
        }
    }

    public var to: BuildStatus {
        switch self {
        case .submit, .requeue: .queued
        case .claim: .in_progress
        case .complete, .reuseFromCache: .completed
        case .fail: .failed
        case .cancel: .cancelled
        }
    }
}
