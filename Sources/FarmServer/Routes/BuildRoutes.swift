import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// The seed's builds: submit, cancel and retry (developers and above in the
/// configuration's project), read and list (members).
struct BuildRoutes {
    let store: Store
    let access: AccessPolicy
    /// Open event streams, bounded per user and for the farm.
    let followers: FollowerCount

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/builds", .project(.developer)) { request, context in
                let body = try await request.decodeJSON(as: NewBuild.self, context: context)
                let notFound = APIError.notFound("configurationVersion", body.configVersionId.lowercased)
                guard let project = try await store.builds.project(ofVersion: body.configVersionId) else { throw notFound }
                try await access.authorize(project, context, hidden: notFound)
                let build = try await store.builds.submit(body, by: try context.requireUser().id)
                return try Response.success(build, status: .created)
            },
            Endpoint(.get, "/builds", .user) { request, context in
                let filter = BuildRepository.Filter(
                    status: try request.query(
                        "status", expected: "one of: \(BuildStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                        BuildStatus.init(rawValue:)),
                    configurationID: try request.query("config", expected: "a UUID", UUID.init(uuidString:)),
                    architecture: try request.query(
                        "arch", expected: "one of: \(Architecture.allowedValues.joined(separator: ", "))",
                        Architecture.init(rawValue:)),
                    initiatorID: try request.query("initiator", expected: "a UUID", UUID.init(uuidString:)))
                let page = try await store.builds.list(filter, visibleTo: try context.requireUser(), page: try request.pageRequest())
                return try Response.success(Listing(key: "builds", page: page))
            },
            Endpoint(.get, "/builds/:id", .project(.viewer)) { _, context in
                let id = try await visibleBuild(context)
                guard let build = try await store.builds.find(id: id) else { throw APIError.notFound("build", id.lowercased) }
                return try Response.success(build)
            },
            Endpoint(.get, "/builds/:id/logs", .project(.viewer)) { request, context in
                let id = try await visibleBuild(context)
                let query = try LogQuery(request)
                guard let page = try await store.logs.page(of: id, attempt: query.attempt, after: query.after,
                                                           limit: query.limit) else {
                    throw APIError.notFound("build", id.lowercased)
                }
                return try Response.success(page)
            },
            Endpoint(.get, "/builds/:id/events", .project(.viewer)) { request, context in
                let id = try await visibleBuild(context)
                let query = try LogQuery(request)
                let slot = try followers.admit(try context.requireUser().id)
                return LogFollower(logs: store.logs, slot: slot, keepAlive: followers.limits.keepAlive,
                                   lifetime: followers.limits.streamLifetime)
                    .response(build: id, attempt: query.attempt, after: query.after)
            },
            Endpoint(.post, "/builds/:id/cancel", .project(.developer)) { _, context in
                let id = try await visibleBuild(context)
                return try Response.success(try await store.builds.cancel(id, by: try context.requireUser().id))
            },
            Endpoint(.post, "/builds/:id/retry", .project(.developer)) { _, context in
                let id = try await visibleBuild(context)
                return try Response.success(try await store.builds.retry(id, by: try context.requireUser().id), status: .created)
            },
        ]
    }

    /// The build named by `:id`, if the caller has the endpoint's role in its project.
    private func visibleBuild(_ context: FarmRequestContext) async throws -> UUID {
        try await access.visible("build", context, project: store.builds.project(ofBuild:))
    }
}
