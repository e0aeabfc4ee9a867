import FarmMachine
import FarmModel

/// Runs nothing: each stage passes at once. For measuring the farm itself
/// (dispatch, claims, events, recording), not compilers. With `holdSeconds`,
/// `compiling_core` waits that long, so failure drills find builds in a
/// worker's hands.
public struct NoopRecipe: BuildRecipe {
    public let holdSeconds: Int

    public init(holdSeconds: Int = 0) {
        self.holdSeconds = holdSeconds
    }

    public func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep] {
        stage == .compiling_core && holdSeconds > 0 ? [.run(Command("sleep", [String(holdSeconds)]))] : []
    }
}
