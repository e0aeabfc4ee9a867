import Hummingbird
import Logging

/// `GET /metrics` in Prometheus's text format: on the API's own port, and
/// on `--metrics-port` of the processes that serve nothing else (workers, agents).
public enum MetricsServer {
    /// The registry as an HTTP response.
    public static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: MetricsRegistry.exposition())))
    }

    /// A server answering only `/metrics` (and 404), to run beside a machine's work as a service.
    public static func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        MetricsRegistry.bootstrap()
        let router = Router()
        router.get("/metrics") { _, _ in response() }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "kfarm"),
                           logger: logger)
    }
}
