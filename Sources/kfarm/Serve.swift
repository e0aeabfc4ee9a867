import ArgumentParser
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

    func run() async throws {
        let logger = Logger.kfarm("kfarm.serve")
        let store = Store(settings: try database.settings(), logger: logger)
        let app = buildApplication(settings: ServerSettings(host: host, port: port), store: store, logger: logger)
        try await app.runService()
    }
}
