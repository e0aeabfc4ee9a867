import AMQP
import ArgumentParser
import Foundation

/// `--amqp-url`, falling back to `KFARM_AMQP_URL`.
struct BrokerOptions: ParsableArguments {
    @Option(help: "RabbitMQ, amqp://user:password@host:port/vhost (default: $KFARM_AMQP_URL).")
    var amqpURL: String?

    /// The broker named, or nil when neither the option nor the variable is set.
    func configuration() throws -> AMQPConfiguration? {
        try (amqpURL ?? ProcessInfo.processInfo.environment["KFARM_AMQP_URL"]).map { try AMQPConfiguration(url: $0) }
    }
}
