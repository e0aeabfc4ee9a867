import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// Deployment agents (`kfarm agent`, system tokens): they heartbeat,
/// download the artifact of the order they were sent, and report on it.
/// A system answers only to the system token of a release manager of its
/// project, and only to the first such token it heard from.
struct AgentRoutes {
    let store: Store
    let shelf: ArtifactShelf

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/systems/:id/heartbeat", .system) { request, context in
                let body = try await request.decodeJSON(as: AgentHeartbeat.self, context: context)
                let id = try context.uuid("id")
                try await store.rollouts.heartbeat(id, body, token: try context.requireMachineToken(.system))
                guard let system = try await store.systems.find(id: id) else { throw APIError.notFound("targetSystem", id.lowercased) }
                return try Response.success(system)
            },
            Endpoint(.get, "/systems/:id/deployments/:deploymentId/artifact", .system) { request, context in
                let deploymentID = try context.uuid("deploymentId")
                let artifact = try await store.rollouts.artifact(
                    for: try context.uuid("id"), deployment: deploymentID, token: try context.requireMachineToken(.system))
                return try await ArtifactDownload(artifactID: deploymentID, name: artifact.name, sha256: artifact.sha256,
                                                  size: artifact.size)
                    .response(to: request, from: shelf.storage, logger: context.logger)
            },
            Endpoint(.post, "/systems/:id/deployments/:deploymentId/report", .system) { request, context in
                let body = try await request.decodeJSON(as: AgentReport.self, context: context)
                let target = try await store.rollouts.report(
                    body, system: try context.uuid("id"), deployment: try context.uuid("deploymentId"),
                    token: try context.requireMachineToken(.system))
                return try Response.success(target)
            },
        ]
    }
}
