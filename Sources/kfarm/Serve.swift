import AMQP
import ArgumentParser
import Foundation
import Logging
import FarmServer
import FarmStore
import Hummingbird

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API. Stops gracefully on SIGTERM or SIGINT.")

    @OptionGroup var database: DatabaseOptions

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

    @Option(help: "RabbitMQ for build dispatch, amqp://user:password@host:port/vhost (default: $KFARM_AMQP_URL).")
    var amqpURL: String?

    func validate() throws {
        guard rateLimitUser > 0, rateLimitIp > 0, rateLimitWindow > 0 else {
            throw ValidationError("rate limits and the window must be positive")
        }
        guard maxAttempts > 0 else { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() async throws {
        let logger = Logger.kfarm("kfarm.serve")
        let store = Store(settings: try database.settings(), logger: logger)
        let limits = RateLimitPolicy(perUser: rateLimitUser, perAddress: rateLimitIp, windowSeconds: rateLimitWindow,
                                     trustedProxies: Set(trustedProxy))
        let broker = try (amqpURL ?? ProcessInfo.processInfo.environment["KFARM_AMQP_URL"]).map {
            try AMQPConfiguration(url: $0)
        }
        let settings = ServerSettings(host: host, port: port, rateLimits: limits, broker: broker, maxAttempts: maxAttempts)
        let app = buildApplication(settings: settings, store: store, logger: logger)
        try await app.runService()
    }
}
