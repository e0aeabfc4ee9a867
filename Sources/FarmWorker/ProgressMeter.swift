import FarmModel
import Foundation
import Synchronization

/// A build's progress, estimated from its make output. Each stage owns a
/// share of the 100 percent; within a stage, progress is the kbuild steps
/// seen (`  CC      init/main.o`, `  LD      vmlinux`, …) against the steps
/// the previous build of the same configuration and architecture took in
/// that stage (kept per worker in `history`). Without history a stage's
/// share is reported when it ends. Progress only grows, and a stage never
/// claims its whole share before it has ended.
public final class ProgressMeter: Sendable {
    static let shares: [(BuildStage, Int)] = [
        (.initialization, 5), (.compiling_core, 60), (.compiling_modules, 15), (.packaging, 10), (.testing, 10),
    ]

    private struct State {
        var stage: BuildStage?
        var steps: [BuildStage: Int] = [:]
        var reported = 0
    }

    private let spool: EventSpool
    private let history: URL?
    private let expected: [BuildStage: Int]
    private let state = Mutex(State())

    /// `history`: the file of step counts per stage of this configuration's
    /// previous build (read now, written by `save()`); nil: no estimates.
    public init(spool: EventSpool, history: URL?) {
        self.spool = spool
        self.history = history
        let counts = history.flatMap { try? Data(contentsOf: $0) }
            .flatMap { try? JSONDecoder().decode([String: Int].self, from: $0) } ?? [:]
        expected = Dictionary(uniqueKeysWithValues: counts.compactMap { key, value in
            BuildStage(rawValue: key).map { ($0, value) }
        })
    }

    public func begin(_ stage: BuildStage) {
        state.withLock { $0.stage = stage }
    }

    /// Counts kbuild's step lines of the running stage.
    @Sendable public func observe(_ lines: [String]) {
        let steps = lines.reduce(0) { $0 + (Self.isStep($1) ? 1 : 0) }
        guard steps > 0 else { return }
        let percent: Int? = state.withLock { state in
            guard let stage = state.stage else { return nil }
            state.steps[stage, default: 0] += steps
            guard let expected = expected[stage], expected > 0 else { return nil }
            let (start, share) = Self.range(of: stage)
            let done = min(Double(state.steps[stage]!) / Double(expected), 0.99)
            return advance(&state, to: start + Int(Double(share) * done))
        }
        if let percent { spool.progress(percent) }
    }

    /// The stage's whole share is done.
    public func end(_ stage: BuildStage) {
        let (start, share) = Self.range(of: stage)
        let percent = state.withLock { state in
            state.stage = nil
            return advance(&state, to: start + share)
        }
        if let percent { spool.progress(percent) }
    }

    /// Keeps this build's step counts for the next build of the configuration.
    public func save() {
        let counts = state.withLock { state in
            Dictionary(uniqueKeysWithValues: state.steps.map { ($0.key.rawValue, $0.value) })
        }
        guard let history, !counts.isEmpty else { return }
        try? FileManager.default.createDirectory(at: history.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? JSONEncoder().encode(counts).write(to: history, options: .atomic)
    }

    /// The new percent when it grew, else nil.
    private func advance(_ state: inout State, to percent: Int) -> Int? {
        guard percent > state.reported else { return nil }
        state.reported = percent
        return percent
    }

    /// Where a stage's share starts, and how large it is.
    static func range(of stage: BuildStage) -> (start: Int, share: Int) {
        var start = 0
        for (name, share) in shares {
            if name == stage { return (start, share) }
            start += share
        }
        return (start, 0)
    }

    /// kbuild's quiet output: two spaces, a command in capitals, spaces, a target.
    static func isStep(_ line: String) -> Bool {
        let scalars = Array(line.unicodeScalars.prefix(12))
        guard scalars.count > 4, scalars[0] == " ", scalars[1] == " ", ("A"..."Z").contains(scalars[2]) else { return false }
        var index = 3
        while index < scalars.count, ("A"..."Z").contains(scalars[index]) || ("0"..."9").contains(scalars[index])
            || scalars[index] == "_" { index += 1 }
        return index < scalars.count && scalars[index] == " "
    }
}
