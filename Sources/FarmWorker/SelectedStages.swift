import FarmModel
import Foundation

/// Some stages of a recipe, the others empty: to run or measure one stage
/// (a kernel's `initialization`, seconds) without the rest (minutes).
public struct SelectedStages: BuildRecipe {
    public let recipe: any BuildRecipe
    public let stages: Set<BuildStage>

    public init(_ stages: Set<BuildStage>, of recipe: any BuildRecipe) {
        self.recipe = recipe
        self.stages = stages
    }

    public func checkout(_ plan: BuildPlan, log: @escaping @Sendable ([String]) -> Void) async throws -> CheckedOutSource? {
        try await recipe.checkout(plan, log: log)
    }
    public var dataDirectories: [URL] { recipe.dataDirectories }

    public func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep] {
        stages.contains(stage) ? recipe.steps(for: stage, build: build, plan: plan, in: workspace) : []
    }

    public func findings(in workspace: Workspace) -> BuildFindings? { recipe.findings(in: workspace) }
}
