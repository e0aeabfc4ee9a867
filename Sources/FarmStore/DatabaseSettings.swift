import Foundation
import PostgresNIO

/// Where the farm's PostgreSQL is, from a `postgres://user[:password]@host[:port]/database` URL.
public struct DatabaseSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String

    public init(host: String, port: Int, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    public init(url text: String) throws(StoreError) {
        guard let components = URLComponents(string: text),
              ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty,
              let user = components.user, !user.isEmpty
        else {
            throw .invalidSettings("database URL must look like postgres://user[:password]@host[:port]/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .invalidSettings("database URL names no database") }
        self.init(host: host, port: components.port ?? 5432, username: user,
                  password: components.password, database: database)
    }

    /// The same server with another database (tests create throwaway ones).
    public func with(database: String) -> DatabaseSettings {
        var copy = self
        copy.database = database
        return copy
    }

    var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable
        )
    }
}
