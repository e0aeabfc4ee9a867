import FarmModel
import Foundation

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
