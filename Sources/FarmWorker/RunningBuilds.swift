import Foundation
import Synchronization

/// The attempts a worker is running, so a cancel command or a lost lease
/// can stop the right one, and the runner knows why it was stopped.
final class RunningBuilds: Sendable {
    enum StopReason: Sendable {
        /// A person cancelled the build: nothing more to report.
        case cancelled
        /// The API says this worker no longer holds it: nothing more to report.
        case leaseLost
    }

    private struct Entry {
        var attempt: Int
        var cancel: (@Sendable () -> Void)?
        var stopReason: StopReason?
    }

    private let entries = Mutex<[UUID: Entry]>([:])

    func add(_ buildID: UUID, attempt: Int) {
        entries.withLock { $0[buildID] = Entry(attempt: attempt) }
    }

    /// How to stop the attempt; called at once if a stop came first.
    func attach(cancel: @escaping @Sendable () -> Void, to buildID: UUID) {
        let stopNow = entries.withLock { entries -> Bool in
            entries[buildID]?.cancel = cancel
            return entries[buildID]?.stopReason != nil
        }
        if stopNow { cancel() }
    }

    /// Stops the attempt if it runs here; false when it does not.
    @discardableResult
    func stop(_ buildID: UUID, attempt: Int, _ reason: StopReason) -> Bool {
        let found = entries.withLock { entries -> (@Sendable () -> Void)?? in
            guard var entry = entries[buildID], entry.attempt == attempt else { return nil }
            entry.stopReason = entry.stopReason ?? reason
            entries[buildID] = entry
            return .some(entry.cancel)
        }
        guard let found else { return false }
        found?()
        return true
    }

    func stopReason(_ buildID: UUID) -> StopReason? {
        entries.withLock { $0[buildID]?.stopReason }
    }

    func remove(_ buildID: UUID) {
        entries.withLock { _ = $0.removeValue(forKey: buildID) }
    }
}
