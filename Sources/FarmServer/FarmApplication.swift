import FarmStore
import Hummingbird
import Logging

/// Where and how `kfarm serve` listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// Builds the HTTP API. `/health` and `/ready` are open; every other route
/// needs a bearer token.
public func buildRouter(store: Store) -> Router<FarmRequestContext> {
    let access = AccessPolicy(projects: store.projects)
    let endpoints = HealthRoutes(store: store).endpoints
        + UserRoutes(store: store, access: access).endpoints
        + ProjectRoutes(store: store, access: access).endpoints
        + ConfigurationRoutes(store: store, access: access).endpoints

    let router = Router(context: FarmRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: ErrorMiddleware(routes: RouteTable(endpoints)))
    let authenticated = router.group().add(middleware: AuthenticationMiddleware(users: store.users))
    for endpoint in endpoints {
        if endpoint.isPublic {
            router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handler)
        } else {
            authenticated.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handler)
        }
    }
    return router
}

/// The API server with the database client as a service beside it, so both
/// start together and shut down gracefully on SIGTERM or SIGINT.
public func buildApplication(settings: ServerSettings, store: Store, logger: Logger) -> some ApplicationProtocol {
    var app = Application(
        router: buildRouter(store: store),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "kfarm"),
        logger: logger)
    app.addServices(store.client)
    return app
}
