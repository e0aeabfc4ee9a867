import FarmMachine
import FarmModel

/// Prints `lines` numbered lines in `compiling_core` and nothing else: for
/// measuring how fast a log travels from a worker to a following client.
public struct LogFloodRecipe: BuildRecipe {
    public let lines: Int

    public init(lines: Int) {
        self.lines = lines
    }

    public func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep] {
        stage == .compiling_core ? [.run(Command("seq", ["1", String(lines)]))] : []
    }
}
