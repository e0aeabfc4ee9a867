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

    public func source(for plan: BuildPlan) -> URL? { recipe.source(for: plan) }
    public var dataDirectories: [URL] { recipe.dataDirectories }

    public func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep] {
        stages.contains(stage) ? recipe.steps(for: stage, build: build, plan: plan, in: workspace) : []
    }

    public func findings(in workspace: Workspace) -> BuildFindings? { recipe.findings(in: workspace) }
}

extension BuildRecord {
    /// A build that is not the farm's, for running a recipe outside it (benchmarks, tests).
    public static func standalone(architecture: Architecture, options: BuildOptions) -> BuildRecord {
        let now = Date()
        return BuildRecord(
            id: UUID(), buildNumber: "BUILD-STANDALONE", status: .in_progress, progress: 0, startedAt: now, estimatedCompletion: now,
            completedAt: nil, configVersion: VersionRef(id: UUID(), version: "1.0.0"),
            config: ConfigurationRef(id: UUID(), name: "standalone"), initiator: UserRef(id: UUID(), username: "standalone"),
            architecture: architecture, environment: "standalone", priority: .normal, options: options, attempt: 1,
            currentStage: nil, stages: [], retryOf: nil, failure: nil, claimedAt: now)
    }
}
