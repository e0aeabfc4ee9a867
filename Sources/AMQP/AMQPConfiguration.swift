import Foundation

/// Where a broker is and how to log in: `amqp://user:password@host:port/vhost`.
public struct AMQPConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    /// Seconds between heartbeats a consumer asks for (its thread sends and
    /// checks them while it waits for deliveries), so a dead broker or a
    /// dead peer is noticed; 0 turns them off. Publishing connections do not
    /// use them: they read frames only while publishing.
    public var heartbeat: Int

    public init(host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest",
                virtualHost: String = "/", heartbeat: Int = 30) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeat = heartbeat
    }

    /// The same broker, logged in as someone else.
    public func login(user: String, password: String) -> AMQPConfiguration {
        var other = self
        (other.user, other.password) = (user, password)
        return other
    }

    public init(url text: String) throws(AMQPError) {
        guard let url = URLComponents(string: text), url.scheme == "amqp", let host = url.host, !host.isEmpty else {
            throw .invalidConfiguration("AMQP URL must look like amqp://user:password@host:port/vhost")
        }
        let path = url.percentEncodedPath.drop { $0 == "/" }
        self.init(host: host, port: url.port ?? 5672, user: url.user ?? "guest", password: url.password ?? "guest",
                  virtualHost: path.isEmpty ? "/" : (String(path).removingPercentEncoding ?? String(path)))
    }
}
