import AMQP
import ArgumentParser
import FarmModel
import Foundation
import Logging
import ServiceLifecycle

/// How a machine of the farm (a build worker, a deployment agent) reaches
/// it: the API, the broker, and its token from the environment.
struct MachineOptions: ParsableArguments {
    @Option(help: "The API, e.g. http://127.0.0.1:8080 (default: $KFARM_API_URL or that).")
    var apiURL: String?

    @OptionGroup var broker: BrokerOptions

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

    /// Runs `work` until it ends or a signal stops it.
    static func run(logger: Logger, _ work: @escaping @Sendable () async throws -> Void) async throws {
        try await ServiceGroup(services: [MachineService(work: work)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            .run()
    }
}
