import FarmStore
import Hummingbird

/// `/health` (the process answers) and `/ready` (and can reach PostgreSQL).
/// Both are open: load balancers and orchestrators call them without tokens.
struct HealthRoutes {
    let store: Store

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/health", .open) { _, _ in
                try Response.success(["state": "up"])
            },
            Endpoint(.get, "/ready", .open) { _, _ in
                guard await store.isReachable() else {
                    throw APIError(status: .serviceUnavailable, code: .serviceUnavailable,
                                   message: "PostgreSQL is not reachable", details: ["dependency": .string("postgresql")])
                }
                return try Response.success(["state": "ready"])
            },
        ]
    }
}
