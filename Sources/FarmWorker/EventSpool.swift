import FarmModel
import Foundation
import Synchronization

/// The events of one build attempt waiting to be published. Reporting never
/// blocks (make's output arrives on a reader thread); the publisher takes
/// what is waiting, and puts it back when the broker did not confirm it, so
/// a broker hiccup leaves no hole in the log. Consecutive log lines
/// coalesce into one event.
public final class EventSpool: Sendable {
    public let buildId: UUID
    public let attempt: Int
    public let workerId: UUID

    private struct State {
        var waiting: [BuildEventPayload] = []
        /// When the oldest waiting event arrived.
        var waitingSince: ContinuousClock.Instant?
        var nextLine = 1
        var inFlight = false
        var ended = false
    }

    private let state = Mutex(State())

    public init(buildId: UUID, attempt: Int, workerId: UUID) {
        self.buildId = buildId
        self.attempt = attempt
        self.workerId = workerId
    }

    public func stage(_ name: BuildStage, _ status: StageStatus) {
        add(.stage(name: name, status: status))
    }

    public func progress(_ percent: Int) {
        add(.progress(percent: percent))
    }

    /// The attempt's last event: nothing is reported after it.
    public func result(_ outcome: BuildOutcome) {
        add(.result(outcome))
        end()
    }

    /// Ends the attempt without a result (it was cancelled, or the lease
    /// lost): what is waiting is still published, then the spool is dropped.
    public func end() {
        state.withLock { $0.ended = true }
    }

    @Sendable public func log(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        state.withLock { state in
            let first = state.nextLine
            state.nextLine += lines.count
            if case .log(let start, let earlier) = state.waiting.last, start + earlier.count == first {
                state.waiting[state.waiting.count - 1] = .log(first: start, lines: earlier + lines)
            } else {
                state.waiting.append(.log(first: first, lines: lines))
            }
            if state.waitingSince == nil { state.waitingSince = .now }
        }
    }

    /// How many log lines were reported.
    public var linesReported: Int { state.withLock { $0.nextLine - 1 } }

    private func add(_ event: BuildEventPayload) {
        state.withLock { state in
            state.waiting.append(event)
            if state.waitingSince == nil { state.waitingSince = .now }
        }
    }

    // MARK: - For the publisher

    /// Takes everything waiting as one message, unless a message is already
    /// in flight, or only log lines are waiting and the oldest is younger than
    /// `linger`: a compiler's trickle of lines then goes out a few times a
    /// second instead of as one persistent, confirmed message (and one
    /// recorder transaction) per line, whose disk flushes slow the build.
    /// Stage, progress and result events go at once.
    func take(linger: Duration = .zero) -> BuildEventBatch? {
        state.withLock { state in
            guard !state.inFlight, !state.waiting.isEmpty else { return nil }
            let onlyLogs = state.waiting.allSatisfy { if case .log = $0 { true } else { false } }
            if onlyLogs, !state.ended, let since = state.waitingSince, ContinuousClock.now - since < linger { return nil }
            state.inFlight = true
            state.waitingSince = nil
            defer { state.waiting.removeAll() }
            return BuildEventBatch(buildId: buildId, attempt: attempt, workerId: workerId, events: state.waiting,
                                   sentAt: Date().timeIntervalSince1970)
        }
    }

    /// The broker confirmed the batch `take()` returned, or did not (it is
    /// then sent again before anything newer, so the order holds).
    func settle(_ batch: BuildEventBatch, confirmed: Bool) {
        state.withLock { state in
            state.inFlight = false
            if !confirmed {
                state.waiting.insert(contentsOf: batch.events, at: 0)
                state.waitingSince = state.waitingSince ?? .now
            }
        }
    }

    /// True once the result is reported and every event confirmed.
    var isDrained: Bool {
        state.withLock { $0.ended && !$0.inFlight && $0.waiting.isEmpty }
    }

    /// Whether the spool drained within `limit` (false also when the task is cancelled).
    func published(within limit: Duration, checkingEvery interval: Duration = .milliseconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !isDrained {
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: interval)) != nil else { return false }
        }
        return true
    }
}
