import FarmModel
import Foundation
import Synchronization

/// Runs a build attempt's five stages in order, reporting each transition,
/// every output line and the progress to the attempt's spool. The first
/// failing step fails its stage and ends the build; the failure says
/// whether the build itself is at fault or the machine it ran on.
public struct StageRunner: Sendable {
    public let recipe: any BuildRecipe

    public init(recipe: any BuildRecipe) {
        self.recipe = recipe
    }

    /// The outcome, or nil when the task was cancelled (nothing to report).
    public func run(_ build: BuildRecord, plan: BuildPlan, in workspace: Workspace, spool: EventSpool) async -> BuildOutcome? {
        let stages = BuildStage.allCases
        for (index, stage) in stages.enumerated() {
            spool.stage(stage, .in_progress)
            for step in recipe.steps(for: stage, build: build, plan: plan, in: workspace) {
                if Task.isCancelled { return nil }
                if let failure = await run(step, spool: spool) {
                    if Task.isCancelled { return nil }
                    spool.stage(stage, .failed)
                    return .failed(failure.kind, "\(stage.rawValue): \(failure.reason)")
                }
            }
            if Task.isCancelled { return nil }
            spool.stage(stage, .completed)
            spool.progress((index + 1) * 100 / stages.count)
        }
        return .completed
    }

    private func run(_ step: BuildStep, spool: EventSpool) async -> BuildFailure? {
        switch step {
        case .run(let command):
            spool.log(["$ \(command)"])
            let watch = MachineTroubleWatch(spool: spool)
            do {
                let status = try await CommandRunner.run(command, onLines: watch.observe)
                if status == 0 { return nil }
                if let trouble = watch.trouble { return BuildFailure(kind: .infrastructure, reason: trouble) }
                if status == 127 {
                    return BuildFailure(kind: .infrastructure, reason: "toolchain missing: \(command.executable) was not found")
                }
                return BuildFailure(kind: .build, reason: "`\(command)` exited with status \(status)")
            } catch {
                return BuildFailure(kind: .infrastructure, reason: "toolchain missing: \(error)")
            }
        case .check(let name, let body):
            spool.log(["check: \(name)"])
            do {
                try body()
                return nil
            } catch {
                spool.log(["check failed: \(error)"])
                return BuildFailure(kind: .build, reason: "check failed: \(error)")
            }
        }
    }
}

/// Passes a command's output on to the log, noticing lines that say the
/// machine, not the build, is at fault (out of disk or memory).
final class MachineTroubleWatch: Sendable {
    static let signs = [
        "No space left on device": "out of disk space",
        "Cannot allocate memory": "out of memory",
        "Killed signal terminated program": "out of memory (the compiler was killed)",
    ]

    private let spool: EventSpool
    private let found = Mutex<String?>(nil)

    init(spool: EventSpool) {
        self.spool = spool
    }

    var trouble: String? { found.withLock { $0 } }

    @Sendable func observe(_ lines: [String]) {
        spool.log(lines)
        for line in lines {
            for (sign, meaning) in Self.signs where line.contains(sign) {
                found.withLock { $0 = $0 ?? meaning }
            }
        }
    }
}
