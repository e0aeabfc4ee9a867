import Logging
import PostgresNIO

/// The farm's PostgreSQL: one pooled, non-blocking PostgresNIO client shared
/// by the repositories. `run()` must be running (it is a Service in
/// `kfarm serve`) for queries to be served.
public struct Store: Sendable {
    public let client: PostgresClient
    public let users: UserRepository
    public let projects: ProjectRepository
    public let configurations: ConfigurationRepository
    public let rateLimits: RateLimitRepository
    public let admissions: AdmissionRepository
    public let audit: AuditRepository
    public let builds: BuildRepository
    public let outbox: OutboxRepository
    public let workers: WorkerRepository
    public let events: BuildEventRepository
    public let logs: BuildLogRepository
    public let artifacts: ArtifactRepository
    public let systems: SystemRepository
    public let deployments: DeploymentRepository
    public let rollouts: RolloutRepository
    public let lineage: LineageRepository
    public let kernels: KernelCatalogRepository
    public let brokerAccounts: BrokerAccountRepository
    public let census: CensusRepository
    public let sessions: DashboardSessionRepository
    public let migrator: Migrator

    public init(settings: DatabaseSettings, logger: Logger) {
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.client = client
        let doorbell = OutboxDoorbell()
        users = UserRepository(client: client, logger: logger)
        projects = ProjectRepository(client: client, logger: logger)
        configurations = ConfigurationRepository(client: client, logger: logger)
        rateLimits = RateLimitRepository(client: client, logger: logger)
        admissions = AdmissionRepository(client: client, logger: logger)
        audit = AuditRepository(client: client, logger: logger)
        builds = BuildRepository(client: client, logger: logger, doorbell: doorbell)
        outbox = OutboxRepository(client: client, logger: logger, doorbell: doorbell)
        workers = WorkerRepository(client: client, logger: logger)
        events = BuildEventRepository(client: client, logger: logger, doorbell: doorbell)
        logs = BuildLogRepository(client: client, logger: logger)
        artifacts = ArtifactRepository(client: client, logger: logger)
        systems = SystemRepository(client: client, logger: logger)
        deployments = DeploymentRepository(client: client, logger: logger)
        rollouts = RolloutRepository(client: client, logger: logger, doorbell: doorbell)
        lineage = LineageRepository(client: client, logger: logger)
        kernels = KernelCatalogRepository(client: client, logger: logger)
        census = CensusRepository(client: client, logger: logger)
        sessions = DashboardSessionRepository(client: client, logger: logger)
        brokerAccounts = BrokerAccountRepository(client: client, logger: logger)
        migrator = Migrator(client: client, logger: logger)
    }

    /// Whether the database answers a trivial query within `timeout`. A
    /// database that is down makes the pool wait for a connection, so the
    /// answer is bounded rather than left to the connect timeout, and the
    /// unanswered query is left behind rather than awaited (`AbandonableWork`).
    public func isReachable(timeout: Duration = .seconds(2)) async -> Bool {
        (try? await AbandonableWork.run(within: timeout, "a probe") { [client] in
            try await client.query("SELECT 1")
            return true
        }) ?? false
    }
}
