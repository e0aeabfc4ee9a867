import Synchronization

/// The last lines of a command's output (for a report), and whether a line
/// containing `watching` went by; fed from the command runner's thread.
final class OutputTail: Sendable {
    private struct State {
        var lines: [String] = []
        var seen = false
    }

    private let limit: Int
    private let watching: String?
    private let state = Mutex(State())

    init(limit: Int, watching: String? = nil) {
        self.limit = limit
        self.watching = watching
    }

    func add(_ lines: [String]) {
        state.withLock { state in
            if let watching, lines.contains(where: { $0.contains(watching) }) { state.seen = true }
            state.lines = Array((state.lines + lines).suffix(limit))
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
    var seen: Bool { state.withLock { $0.seen } }
}
