import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// The seed's kernel configurations, plus versions, changes and locking.
/// Viewers read; developers and above create and change.
struct ConfigurationRoutes {
    let store: Store
    let access: AccessPolicy

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/configurations") { request, context in
                let user = try context.requireUser()
                let filter = ConfigurationRepository.Filter(
                    projectID: try request.query("project_id", expected: "a UUID", UUID.init(uuidString:)),
                    architecture: try request.query(
                        "architecture", expected: "one of: \(Architecture.allowedValues.joined(separator: ", "))",
                        Architecture.init(rawValue:)))
                let page = try await store.configurations.list(filter, visibleTo: user, page: try request.pageRequest())
                return try Response.success(Listing(key: "configurations", page: page))
            },
            Endpoint(.post, "/configurations") { request, context in
                let user = try context.requireUser()
                let body = try await request.decodeJSON(as: NewConfiguration.self, context: context)
                try await access.require(.developer, in: body.projectId, for: user)
                return try Response.success(try await store.configurations.create(body, creator: user.id), status: .created)
            },
            Endpoint(.get, "/configurations/:id") { _, context in
                let configuration = try await visibleConfiguration(context, needing: .viewer)
                return try Response.success(try await store.configurations.detail(id: configuration.id))
            },
            Endpoint(.patch, "/configurations/:id") { request, context in
                let configuration = try await visibleConfiguration(context, needing: .developer)
                let body = try await request.decodeJSON(as: ConfigurationChanges.self, context: context)
                return try Response.success(try await store.configurations.update(body, of: configuration.id))
            },
            Endpoint(.post, "/configurations/:id/versions") { request, context in
                let configuration = try await visibleConfiguration(context, needing: .developer)
                let body = try await request.decodeJSON(as: NewConfigurationVersion.self, context: context)
                let version = try await store.configurations.createVersion(
                    body, of: configuration.id, by: try context.requireUser().id)
                return try Response.success(version, status: .created)
            },
            Endpoint(.get, "/configurations/:id/versions/:versionId") { _, context in
                let configuration = try await visibleConfiguration(context, needing: .viewer)
                return try Response.success(
                    try await store.configurations.version(try context.uuid("versionId"), of: configuration.id))
            },
            Endpoint(.post, "/configurations/:id/versions/:versionId/lock") { _, context in
                let configuration = try await visibleConfiguration(context, needing: .developer)
                return try Response.success(
                    try await store.configurations.lock(try context.uuid("versionId"), of: configuration.id))
            },
        ]
    }

    /// The configuration named by `:id`, if the user may act on it with `role`.
    private func visibleConfiguration(_ context: FarmRequestContext, needing role: ProjectRole) async throws -> Configuration {
        let user = try context.requireUser()
        let id = try context.uuid("id")
        let notFound = APIError.notFound("configuration", id.lowercased)
        guard let configuration = try await store.configurations.find(id: id) else { throw notFound }
        try await access.require(role, in: configuration.project.id, for: user, hidden: notFound)
        return configuration
    }
}
