import AsyncHTTPClient
import FarmStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Closes the broker connections of machines that are no longer anyone:
/// RabbitMQ checks a login once, when the connection opens, so a worker or
/// agent whose token is revoked (or expires) would keep consuming on the
/// connections it has. Every `interval` this lists the broker's connections
/// through its management API and closes each machine's whose token is no
/// longer live, so a revocation takes effect within `interval` plus the
/// broker's auth cache.
struct MachineConnectionSweeper: Service {
    /// The management API's base URL, e.g. http://127.0.0.1:15672.
    let managementURL: String
    /// The farm's broker account (an administrator there).
    let user: String
    let password: String
    let accounts: BrokerAccountRepository
    let logger: Logger
    var interval: Duration = .seconds(5)

    private struct Connection: Decodable {
        var name: String
        var user: String
    }

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await repeatUntilShutdown(every: interval, logger: logger, failure: "sweeping machine connections failed") {
            try await sweep(client)
        }
        try await client.shutdown()
    }

    private func sweep(_ client: HTTPClient) async throws {
        let listing = try await call(client, .GET, "/api/connections?columns=name,user")
        for connection in try JSONDecoder().decode([Connection].self, from: Data(buffer: listing)) {
            // The farm's own account and anything not named like a machine are not ours to judge.
            guard UUID(uuidString: connection.user) != nil, try await accounts.machine(connection.user) == nil else { continue }
            let name = connection.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? connection.name
            _ = try await call(client, .DELETE, "/api/connections/\(name)", reason: "the machine's token is no longer valid")
            logger.notice("closed a machine's broker connection: its token is revoked or expired",
                          metadata: ["machine": "\(connection.user)"])
        }
    }

    private func call(_ client: HTTPClient, _ method: HTTPMethod, _ path: String, reason: String? = nil) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: managementURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        if let reason { request.headers.add(name: "X-Reason", value: reason) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        // 404: the connection closed on its own meanwhile.
        guard (200..<300).contains(response.status.code) || (method == .DELETE && response.status == .notFound) else {
            throw BrokerManagementError(status: Int(response.status.code), path: path)
        }
        return body
    }
}

/// The broker's management API refused or failed a call.
struct BrokerManagementError: Error, CustomStringConvertible {
    let status: Int
    let path: String
    var description: String { "the broker's management API answered \(status) to \(path)" }
}
