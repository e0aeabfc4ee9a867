import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// What ran where and where it came from: a system's kernel history, an
/// artifact's lineage, and the .config symbols two artifacts differ in.
struct LineageRoutes {
    let store: Store
    let access: AccessPolicy

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/systems/:id/history", .project(.viewer)) { request, context in
                let id = try await access.visible("targetSystem", context, project: store.systems.project(ofSystem:))
                let page = try await store.lineage.history(of: id, page: try request.pageRequest())
                return try Response.success(Listing(key: "history", page: page))
            },
            Endpoint(.get, "/artifacts/:id/lineage", .project(.viewer)) { _, context in
                let id = try await visibleArtifact(context)
                guard let lineage = try await store.lineage.lineage(of: id) else { throw APIError.notFound("artifact", id.lowercased) }
                return try Response.success(lineage)
            },
            Endpoint(.get, "/artifacts/:id/diff", .project(.viewer)) { request, context in
                let id = try await visibleArtifact(context)
                let against = try request.against()
                let notFound = APIError.notFound("artifact", against.lowercased)
                guard let project = try await store.artifacts.project(ofArtifact: against) else { throw notFound }
                try await access.authorize(project, context, hidden: notFound)
                return try Response.success(try await store.lineage.kconfigDiff(id, against: against))
            },
        ]
    }

    private func visibleArtifact(_ context: FarmRequestContext) async throws -> UUID {
        try await access.visible("artifact", context, project: store.artifacts.project(ofArtifact:))
    }
}

extension Request {
    /// The required `against` query parameter of the diff endpoints.
    func against() throws -> UUID {
        guard let id = try query("against", expected: "a UUID", UUID.init(uuidString:)) else {
            throw ValidationError(field: "against", "is required: the id to compare with")
        }
        return id
    }
}
