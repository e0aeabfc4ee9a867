import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// Build workers: they join, claim builds and renew their leases with
/// worker tokens; people list them.
struct WorkerRoutes {
    let store: Store
    /// How long a claim holds a build before the lease must be renewed.
    let lease: TimeInterval

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/workers", .worker) { request, context in
                let body = try await request.decodeJSON(as: WorkerRegistration.self, context: context)
                let worker = try await store.workers.register(body, token: try context.requireWorkerToken())
                return try Response.success(worker, status: .created)
            },
            Endpoint(.get, "/workers", .user) { request, context in
                let page = try await store.workers.list(page: try request.pageRequest(), visibleTo: try context.requireUser())
                return try Response.success(Listing(key: "workers", page: page))
            },
            Endpoint(.post, "/builds/:id/claim", .worker) { request, context in
                let body = try await request.decodeJSON(as: BuildClaim.self, context: context)
                let build = try await store.workers.claim(
                    try context.uuid("id"), body, token: try context.requireWorkerToken(), lease: lease)
                // The first attempt's wait (a retried attempt's would include the failed one).
                if build.build.attempt == 1, let claimedAt = build.build.claimedAt {
                    ServerMetrics.claimed(architecture: build.build.architecture.rawValue,
                                          waited: claimedAt.timeIntervalSince(build.build.startedAt))
                }
                return try Response.success(build)
            },
            Endpoint(.post, "/builds/:id/heartbeat", .worker) { request, context in
                let body = try await request.decodeJSON(as: BuildClaim.self, context: context)
                let expiry = try await store.workers.heartbeat(
                    try context.uuid("id"), body, token: try context.requireWorkerToken(), lease: lease)
                return try Response.success(["leaseExpiresAt": expiry])
            },
            Endpoint(.post, "/builds/:id/source", .worker) { request, context in
                let body = try await request.decodeJSON(as: SourceReport.self, context: context)
                try await store.workers.reportSource(try context.uuid("id"), body, token: try context.requireWorkerToken())
                return try Response.success(["source": body.source])
            },
        ]
    }
}
