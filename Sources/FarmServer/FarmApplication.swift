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
    let router = Router(context: FarmRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: ErrorMiddleware())
    HealthRoutes(store: store).register(on: router)

    let access = AccessPolicy(projects: store.projects)
    let api = router.group().add(middleware: AuthenticationMiddleware(users: store.users))
    UserRoutes(store: store, access: access).register(on: api)
    ProjectRoutes(store: store, access: access).register(on: api)
    ConfigurationRoutes(store: store, access: access).register(on: api)
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
