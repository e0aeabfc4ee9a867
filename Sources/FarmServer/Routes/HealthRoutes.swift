import FarmBus
import FarmStore
import Hummingbird

/// `/health` (the process answers) and `/ready` (it can reach PostgreSQL,
/// and its outbox relay is connected to the broker), each dependency
/// reported. Both are open: load balancers and orchestrators call them without tokens.
struct HealthRoutes {
    let store: Store
    /// The relay's connection; nil when no broker is configured (builds wait in the outbox, the API still serves).
    let broker: BrokerLink?

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/health", .open) { _, _ in
                try Response.success(["state": "up"])
            },
            Endpoint(.get, "/ready", .open) { _, _ in
                let checks = [
                    "postgresql": await store.isReachable() ? "up" : "down",
                    "broker": broker.map { $0.isConnected ? "up" : "down" } ?? "not configured",
                ]
                let down = checks.filter { $0.value == "down" }.keys.sorted()
                guard down.isEmpty else {
                    throw APIError(status: .serviceUnavailable, code: .serviceUnavailable,
                                   message: "not ready: \(down.joined(separator: " and ")) unreachable",
                                   details: checks.mapValues { .string($0) })
                }
                return try Response.success(["state": "ready", "postgresql": checks["postgresql"]!, "broker": checks["broker"]!])
            },
        ]
    }
}
