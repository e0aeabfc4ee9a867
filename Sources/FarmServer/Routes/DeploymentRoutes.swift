import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// The seed's deployments: release managers (and admins) of the artifact's
/// project create and cancel them; members read and list them.
struct DeploymentRoutes {
    let store: Store
    let access: AccessPolicy

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/deployments", .project(.release_manager)) { request, context in
                let body = try await request.decodeJSON(as: NewDeployment.self, context: context)
                try body.validate()
                let notFound = APIError.notFound("artifact", body.buildArtifactId.lowercased)
                guard let project = try await store.artifacts.project(ofArtifact: body.buildArtifactId) else { throw notFound }
                try await access.authorize(project, context, hidden: notFound)
                let deployment = try await store.deployments.create(body, by: try context.requireUser().id)
                return try Response.success(deployment, status: .created)
            },
            Endpoint(.get, "/deployments", .user) { request, context in
                let filter = DeploymentRepository.Filter(
                    status: try request.query(
                        "status", expected: "one of: \(DeploymentStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                        DeploymentStatus.init(rawValue:)),
                    artifactID: try request.query("artifact", expected: "a UUID", UUID.init(uuidString:)),
                    systemID: try request.query("system", expected: "a UUID", UUID.init(uuidString:)))
                let page = try await store.deployments.list(filter, visibleTo: try context.requireUser(),
                                                            page: try request.pageRequest())
                return try Response.success(Listing(key: "deployments", page: page))
            },
            Endpoint(.get, "/deployments/:id", .project(.viewer)) { _, context in
                let id = try await visibleDeployment(context)
                guard let deployment = try await store.deployments.find(id: id) else {
                    throw APIError.notFound("deployment", id.lowercased)
                }
                return try Response.success(deployment)
            },
            Endpoint(.post, "/deployments/:id/cancel", .project(.release_manager)) { _, context in
                let id = try await visibleDeployment(context)
                return try Response.success(try await store.deployments.cancel(id, by: try context.requireUser().id))
            },
        ]
    }

    private func visibleDeployment(_ context: FarmRequestContext) async throws -> UUID {
        try await access.visible("deployment", context, project: store.deployments.project(ofDeployment:))
    }
}
