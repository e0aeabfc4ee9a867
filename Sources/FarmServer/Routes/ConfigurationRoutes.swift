import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// The seed's kernel configurations, plus versions, changes and locking.
/// Viewers read; developers and above create and change.
struct ConfigurationRoutes {
    let store: Store
    let access: AccessPolicy
    /// The git repositories a configuration may name as its source.
    let gitSources: GitAllowList

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/configurations", .user) { request, context in
                let user = try context.requireUser()
                let filter = ConfigurationRepository.Filter(
                    projectID: try request.query("project_id", expected: "a UUID", UUID.init(uuidString:)),
                    architecture: try request.query(
                        "architecture", expected: "one of: \(Architecture.allowedValues.joined(separator: ", "))",
                        Architecture.init(rawValue:)))
                let page = try await store.configurations.list(filter, visibleTo: user, page: try request.pageRequest())
                return try Response.success(Listing(key: "configurations", page: page))
            },
            Endpoint(.post, "/configurations", .project(.developer)) { request, context in
                let user = try context.requireUser()
                let body = try await request.decodeJSON(as: NewConfiguration.self, context: context)
                try await access.authorize(body.projectId, context)
                try gitSources.require(body.source)
                try gitSources.require(externalModules: body.externalModules)
                try gitSources.require(externalModules: body.externalModules)
                return try Response.success(try await store.configurations.create(body, creator: user.id), status: .created)
            },
            Endpoint(.get, "/configurations/:id", .project(.viewer)) { _, context in
                let configuration = try await visibleConfiguration(context)
                return try Response.success(try await store.configurations.detail(id: configuration.id))
            },
            Endpoint(.patch, "/configurations/:id", .project(.developer)) { request, context in
                let configuration = try await visibleConfiguration(context)
                let body = try await request.decodeJSON(as: ConfigurationChanges.self, context: context)
                try gitSources.require(body.source)
                return try Response.success(try await store.configurations.update(body, of: configuration.id, by: try context.requireUser().id))
            },
            Endpoint(.post, "/configurations/:id/versions", .project(.developer)) { request, context in
                let configuration = try await visibleConfiguration(context)
                let body = try await request.decodeJSON(as: NewConfigurationVersion.self, context: context)
                let version = try await store.configurations.createVersion(
                    body, of: configuration.id, by: try context.requireUser().id)
                return try Response.success(version, status: .created)
            },
            Endpoint(.get, "/configurations/:id/versions/:versionId", .project(.viewer)) { _, context in
                let configuration = try await visibleConfiguration(context)
                return try Response.success(
                    try await store.configurations.version(try context.uuid("versionId"), of: configuration.id))
            },
            Endpoint(.get, "/configurations/:id/versions/:versionId/diff", .project(.viewer)) { request, context in
                let configuration = try await visibleConfiguration(context)
                let new = try await store.configurations.version(try context.uuid("versionId"), of: configuration.id)
                let old = try await store.configurations.version(try request.against(), of: configuration.id)
                return try Response.success(ModuleDiff(
                    from: VersionRef(id: old.version.id, version: old.version.version), old: old.modules,
                    to: VersionRef(id: new.version.id, version: new.version.version), new: new.modules))
            },
            Endpoint(.post, "/configurations/:id/versions/:versionId/lock", .project(.developer)) { _, context in
                let configuration = try await visibleConfiguration(context)
                return try Response.success(
                    try await store.configurations.lock(try context.uuid("versionId"), of: configuration.id, by: try context.requireUser().id))
            },
        ]
    }

    /// The configuration named by `:id`, if the caller has the endpoint's role in its project.
    private func visibleConfiguration(_ context: FarmRequestContext) async throws -> Configuration {
        let id = try context.uuid("id")
        let notFound = APIError.notFound("configuration", id.lowercased)
        guard let configuration = try await store.configurations.find(id: id) else { throw notFound }
        try await access.authorize(configuration.project.id, context, hidden: notFound)
        return configuration
    }
}
