import AMQP
import FarmBus
import FarmModel
import FarmStore
import FarmTelemetry
import Foundation
import Hummingbird
import Logging

/// Where and how `kfarm serve` listens, its rate limits, and the broker
/// its outbox relay publishes to (none: builds wait in the outbox).
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var rateLimits: RateLimitPolicy
    public var broker: AMQPConfiguration?
    /// Attempts a build gets when its workers are lost before it fails.
    public var maxAttempts: Int
    /// How long a claim or heartbeat holds a build for its worker.
    public var lease: TimeInterval
    public static let defaultLease: TimeInterval = 60
    /// How long a build may stay queued after its dispatch before it is dispatched again.
    public var redispatchAfter: TimeInterval = ServerSettings.defaultRedispatchAfter
    public static let defaultRedispatchAfter: TimeInterval = 600
    /// How long a deployment agent may be silent while it holds an order before its target fails.
    public var agentSilence: TimeInterval
    public static let defaultAgentSilence: TimeInterval = 90
    /// Followers, upload size, waits for PostgreSQL and for slow clients.
    public var limits: RequestLimits
    /// Where RabbitMQ's HTTP auth backend asks who a machine is (nil: not served).
    public var brokerAuth: (host: String, port: Int)?
    /// The broker's management API, where revoked machines' connections
    /// are closed (with the broker account's credentials; nil: they are not).
    public var brokerManagementURL: String?
    /// How often those connections are looked for.
    public var machineSweepInterval: Duration = .seconds(5)
    /// The git repositories configurations may name as their source (`--git-allow`).
    public var gitSources = GitAllowList([])

    public init(host: String = "127.0.0.1", port: Int = 8080, rateLimits: RateLimitPolicy = RateLimitPolicy(),
                broker: AMQPConfiguration? = nil, maxAttempts: Int = 3,
                lease: TimeInterval = ServerSettings.defaultLease,
                agentSilence: TimeInterval = ServerSettings.defaultAgentSilence, limits: RequestLimits = RequestLimits(),
                brokerAuth: (host: String, port: Int)? = nil) {
        self.host = host
        self.brokerAuth = brokerAuth
        self.port = port
        self.rateLimits = rateLimits
        self.limits = limits
        self.broker = broker
        self.maxAttempts = maxAttempts
        self.lease = lease
        self.agentSilence = agentSilence
    }
}

/// Every endpoint of the API, with who may call it: the authorization matrix.
func endpoints(store: Store, shelf: ArtifactShelf, lease: TimeInterval = ServerSettings.defaultLease,
               limits: RequestLimits = RequestLimits(), broker: BrokerLink? = nil, gitSources: GitAllowList = GitAllowList([]))
    -> [Endpoint] {
    let access = AccessPolicy(projects: store.projects)
    let census = FarmCensus(repository: store.census)
    let api = HealthRoutes(store: store, broker: broker).endpoints
        + MetricsRoutes(census: census, logger: Logger(label: "kfarm.metrics")).endpoints
        + UserRoutes(store: store).endpoints
        + ProjectRoutes(store: store, access: access).endpoints
        + ConfigurationRoutes(store: store, access: access, gitSources: gitSources).endpoints
        + BuildRoutes(store: store, access: access, followers: FollowerCount(limits: limits)).endpoints
        + WorkerRoutes(store: store, lease: lease).endpoints
        + KernelRoutes(store: store).endpoints
        + ArtifactRoutes(store: store, access: access, shelf: shelf, maxBlobSize: limits.maxBlobSize).endpoints
        + SystemRoutes(store: store, access: access).endpoints
        + DeploymentRoutes(store: store, access: access).endpoints
        + AgentRoutes(store: store, shelf: shelf).endpoints
        + LineageRoutes(store: store, access: access).endpoints
        + AuditRoutes(store: store).endpoints
    guard let view = try? DashboardView.bundled() else { preconditionFailure("the dashboard's templates are missing from the build") }
    return api + DashboardRoutes(store: store, census: census, api: APIView(api), view: view).endpoints
}

/// Builds the HTTP API: the request log (with its request id) and the
/// request metrics, then the gatekeeper (identity, rate limits) in front of
/// the error envelope, in front of every endpoint behind its requirement.
/// `broker` is the outbox relay's connection, which `/ready` reports.
public func buildRouter(store: Store, shelf: ArtifactShelf, rateLimits: RateLimitPolicy = RateLimitPolicy(),
                        lease: TimeInterval = ServerSettings.defaultLease, limits: RequestLimits = RequestLimits(),
                        broker: BrokerLink? = nil, gitSources: GitAllowList = GitAllowList([]))
    -> Router<FarmRequestContext> {
    MetricsRegistry.bootstrap()
    let table = endpoints(store: store, shelf: shelf, lease: lease, limits: limits, broker: broker, gitSources: gitSources)
    let routes = RouteTable(table)
    let deadline = DatabaseDeadline(store: store, patience: limits.databasePatience)
    // HEAD of every GET route: the GET's status and headers without its body.
    let router = Router(context: FarmRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: GatekeeperMiddleware(
        admissions: store.admissions, sessions: store.sessions, limiter: RateLimiter(store: store.rateLimits, policy: rateLimits), routes: routes,
        deadline: deadline))
    router.add(middleware: ErrorMiddleware(routes: routes))
    for endpoint in table {
        router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.authorizedHandler(deadline: deadline))
    }
    return router
}

/// The API server with the database client, the rate-limit janitor, the
/// lease reaper, the deployment scheduler, the outbox relay and the event
/// recorder as services beside it, so all start together and shut down gracefully on SIGTERM or SIGINT.
public func buildApplication(settings: ServerSettings, store: Store, shelf: ArtifactShelf, logger: Logger)
    -> some ApplicationProtocol {
    let brokerLink = settings.broker.map { _ in BrokerLink() }
    var app = Application(
        router: buildRouter(store: store, shelf: shelf, rateLimits: settings.rateLimits, lease: settings.lease,
                            limits: settings.limits, broker: brokerLink, gitSources: settings.gitSources),
        server: settings.limits.server,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "kfarm"),
        logger: logger)
    app.addServices(
        store.client,
        BlobSweeper(artifacts: store.artifacts, storage: shelf.storage, logger: logger),
        RateLimitJanitor(store: store.rateLimits, policy: settings.rateLimits, logger: logger),
        LeaseReaper(builds: store.builds, maxAttempts: settings.maxAttempts, redispatchAfter: settings.redispatchAfter,
                    logger: logger),
        DeploymentScheduler(rollouts: store.rollouts, agentSilence: settings.agentSilence, logger: logger))
    if let (host, port) = settings.brokerAuth {
        app.addServices(NamedListener(app: BrokerAuthService.application(accounts: store.brokerAccounts, host: host, port: port,
                                                                         logger: logger),
                                      option: "--broker-auth-port", host: host, port: port))
    }
    if let broker = settings.broker, let managementURL = settings.brokerManagementURL {
        app.addServices(MachineConnectionSweeper(managementURL: managementURL, user: broker.user, password: broker.password,
                                                 accounts: store.brokerAccounts, logger: logger,
                                                 interval: settings.machineSweepInterval))
    }
    if let broker = settings.broker, let brokerLink {
        app.addServices(
            OutboxRelay(outbox: store.outbox, systems: store.systems, workers: store.workers, broker: broker, link: brokerLink, logger: logger),
            EventRecorder(events: store.events, broker: broker, maxAttempts: settings.maxAttempts, logger: logger))
    } else {
        logger.warning("no broker configured (--amqp-url): submitted builds wait in the outbox")
    }
    return app
}
