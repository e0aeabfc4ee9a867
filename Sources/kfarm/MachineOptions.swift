import AMQP
import ArgumentParser
import FarmModel
import FarmTelemetry
import Foundation
import Logging
import ServiceLifecycle

/// How a machine of the farm (a build worker, a deployment agent) reaches
/// it: the API, the broker, and its token from the environment.
struct MachineOptions: ParsableArguments {
    @Option(help: "The API, e.g. http://127.0.0.1:8080 (default: $KFARM_API_URL or that).")
    var apiURL: String?

    @OptionGroup var broker: BrokerOptions

    @OptionGroup var log: LogOptions

    @Option(help: "Serve Prometheus metrics at /metrics on this port (default: none).")
    var metricsPort: Int?

    @Option(help: "Address the metrics port binds.")
    var metricsHost = "127.0.0.1"

    func validate() throws {
        if let metricsPort, !(1...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 1 to 65535") }
    }

    struct Connection {
        let api: URL
        let broker: AMQPConfiguration
        let token: String
    }

    /// The API, the broker and the `kind` token in `tokenVariable`, or what is missing.
    func connection(tokenVariable: String, kind: TokenKind) throws -> Connection {
        let environment = ProcessInfo.processInfo.environment
        guard let token = environment[tokenVariable], !token.isEmpty else {
            throw ValidationError("set \(tokenVariable) to a \(kind.rawValue) token (kfarm admin create-token NAME --kind \(kind.rawValue))")
        }
        guard let broker = try broker.configuration() else {
            throw ValidationError("the broker is needed: --amqp-url or KFARM_AMQP_URL")
        }
        guard let api = URL(string: apiURL ?? environment["KFARM_API_URL"] ?? "http://127.0.0.1:8080"), api.host != nil else {
            throw ValidationError("--api-url must be a URL such as http://127.0.0.1:8080")
        }
        return Connection(api: api, broker: broker, token: token)
    }
}

/// A machine's work loop as a service: SIGTERM or SIGINT cancels it, and it
/// ends what it is doing gracefully.
struct MachineService: Service {
    let work: @Sendable () async throws -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await work() }
    }

    /// Runs `work` (and the metrics port, when the options ask for one) until it ends or a signal stops it.
    static func run(_ options: MachineOptions, logger: Logger, _ work: @escaping @Sendable () async throws -> Void) async throws {
        MetricsRegistry.bootstrap()
        var services: [any Service] = [MachineService(work: work)]
        if let port = options.metricsPort {
            services.append(MetricsServer.application(host: options.metricsHost, port: port, logger: logger))
        }
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
