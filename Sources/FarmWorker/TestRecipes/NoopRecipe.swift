import FarmModel

/// Runs nothing: each stage passes at once. For measuring the farm itself
/// (dispatch, claims, events, recording), not compilers.
public struct NoopRecipe: BuildRecipe {
    public init() {}

    public func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep] {
        []
    }
}
