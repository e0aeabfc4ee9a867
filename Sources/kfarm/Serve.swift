import ArgumentParser
import Foundation
import Logging
import FarmServer
import FarmStore
import Hummingbird
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API. Stops gracefully on SIGTERM or SIGINT.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var log: LogOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: "Requests per user per window.")
    var rateLimitUser = RateLimitPolicy().perUser

    @Option(help: "Requests per client IP address per window.")
    var rateLimitIp = RateLimitPolicy().perAddress

    @Option(help: "Rate-limit window in seconds.")
    var rateLimitWindow = RateLimitPolicy().windowSeconds

    @Option(help: "A proxy whose X-Forwarded-For is trusted (repeatable).")
    var trustedProxy: [String] = []

    @Option(help: "Attempts a build gets when its workers are lost, before it fails.")
    var maxAttempts = 3

    @Option(help: "Seconds a claim or heartbeat holds a build for its worker; the reaper retries builds whose lease ran out.")
    var leaseSeconds = Int(ServerSettings.defaultLease)

    @Option(help: "Seconds a build may stay queued after its dispatch before it is dispatched again (the message may be lost).")
    var redispatchSeconds = Int(ServerSettings.defaultRedispatchAfter)

    @Option(help: "Seconds a deployment agent may be silent while it holds an order before its target fails.")
    var agentSilenceSeconds = Int(ServerSettings.defaultAgentSilence)

    @Option(help: "Open build-event streams per user (429 beyond).")
    var followersPerUser = RequestLimits().followersPerUser

    @Option(help: "Open build-event streams for the whole server (429 beyond).")
    var followersPerFarm = RequestLimits().followersPerFarm

    @Option(help: "Largest artifact tarball a worker may upload, in bytes (413 beyond).")
    var maxBlobSize = RequestLimits.defaultMaxBlobSize

    @Option(help: "Seconds a connection may stay silent (headers unfinished, or idle between requests) before it is closed.")
    var idleTimeoutSeconds = 60

    @Option(help: "Seconds a graceful stop waits for requests in flight before cancelling them.")
    var shutdownSeconds = 30

    @Option(help: "Directory of the artifact store (tarballs by sha256).")
    var artifactDir = "artifacts"

    @Option(help: "File of the Ed25519 key artifacts are signed with; created when missing. Default: <artifact-dir>/signing-key.")
    var signingKey: String?

    @OptionGroup(title: "Broker (build dispatch and events; without it builds wait in the outbox)")
    var broker: BrokerOptions

    @Option(help: ArgumentHelp(
        "Port where RabbitMQ's HTTP auth backend asks who a worker or agent is (on --broker-auth-host).",
        discussion: "Machines log in to the broker with their own tokens; see scripts/rabbitmq.sh (KFARM_MQ_AUTH_URL)."))
    var brokerAuthPort: Int?

    @Option(help: "Address the broker-auth listener binds (the broker is its only client).")
    var brokerAuthHost = "127.0.0.1"

    @Option(help: ArgumentHelp(
        "The broker's management API (e.g. http://127.0.0.1:15672), where connections of machines whose token was revoked are closed.",
        discussion: "Logs in with the --amqp-url account, which must be an administrator there."))
    var brokerManagementUrl: String?

    @OptionGroup(title: "Kernel sources") var git: GitSourceOptions

    func validate() throws {
        guard rateLimitUser > 0, rateLimitIp > 0, rateLimitWindow > 0 else {
            throw ValidationError("rate limits and the window must be positive")
        }
        guard maxAttempts > 0 else { throw ValidationError("--max-attempts must be at least 1") }
        guard (10...86_400).contains(redispatchSeconds) else { throw ValidationError("--redispatch-seconds must be 10 to 86400") }
        guard (2...3600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds must be 2 to 3600") }
        guard (2...86_400).contains(agentSilenceSeconds) else {
            throw ValidationError("--agent-silence-seconds must be 2 to 86400")
        }
        guard followersPerUser > 0, followersPerFarm >= followersPerUser else {
            throw ValidationError("--followers-per-user must be positive and at most --followers-per-farm")
        }
        guard shutdownSeconds >= 1 else { throw ValidationError("--shutdown-seconds must be at least 1") }
        guard maxBlobSize > 0 else { throw ValidationError("--max-blob-size must be positive") }
        guard (1...3600).contains(idleTimeoutSeconds) else { throw ValidationError("--idle-timeout-seconds must be 1 to 3600") }
        if let brokerAuthPort, !(1...65535).contains(brokerAuthPort) || brokerAuthPort == port {
            throw ValidationError("--broker-auth-port must be a port other than --port")
        }
    }

    func run() async throws {
        let logger = log.logger("kfarm.serve")
        let store = Store(settings: try database.settings(), logger: logger)
        let limits = RateLimitPolicy(perUser: rateLimitUser, perAddress: rateLimitIp, windowSeconds: rateLimitWindow,
                                     trustedProxies: Set(trustedProxy))
        var settings = ServerSettings(host: host, port: port, rateLimits: limits, broker: try broker.configuration(),
                                      maxAttempts: maxAttempts, lease: TimeInterval(leaseSeconds),
                                      agentSilence: TimeInterval(agentSilenceSeconds),
                                      limits: RequestLimits(followersPerUser: followersPerUser, followersPerFarm: followersPerFarm,
                                                            maxBlobSize: maxBlobSize, idleTimeout: .seconds(idleTimeoutSeconds)),
                                      brokerAuth: brokerAuthPort.map { (brokerAuthHost, $0) })
        settings.brokerManagementURL = brokerManagementUrl
        settings.redispatchAfter = TimeInterval(redispatchSeconds)
        settings.gitSources = git.allowList
        let shelf = try ArtifactShelf.directory(URL(fileURLWithPath: artifactDir),
                                                keyFile: signingKey.map { URL(fileURLWithPath: $0) })
        logger.info("artifact store ready", metadata: ["directory": "\(artifactDir)", "signingKey": "\(shelf.signer.keyId)"])
        let app = buildApplication(settings: settings, store: store, shelf: shelf, logger: logger)
        // A request that never ends (a database request caught by a restart) must not keep the process from stopping.
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(shutdownSeconds)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }
}
