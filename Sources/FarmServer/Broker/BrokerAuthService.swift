import FarmModel
import FarmStore
import Foundation
import Hummingbird
import Logging

/// Answers RabbitMQ's HTTP auth backend (`rabbitmq_auth_backend_http`,
/// form-encoded POSTs, `allow` or `deny` in plain text) from PostgreSQL:
/// who a machine's login is (`/broker/user`) and what it may touch
/// (`/broker/vhost`, `/broker/resource`, `/broker/topic`, as `BrokerGrant`
/// says). A listener of its own, apart from the API: the broker is its
/// only client, and its answers are not the API's envelope.
public struct BrokerAuthService: Sendable {
    let accounts: BrokerAccountRepository
    let logger: Logger

    public static func application(accounts: BrokerAccountRepository, host: String, port: Int, logger: Logger)
        -> some ApplicationProtocol {
        let router = Router()
        BrokerAuthService(accounts: accounts, logger: logger).add(to: router)
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "kfarm-broker-auth"),
                           logger: logger)
    }

    func add(to router: Router<BasicRequestContext>) {
        router.post("/broker/user") { request, context in
            let form = try await Self.form(request, context)
            guard let username = form["username"], let password = form["password"],
                  try await accounts.login(username: username, password: password) != nil else {
                // Only a machine-shaped name is logged: a token pasted as the name must not reach the log.
                let name = form["username"].flatMap { UUID(uuidString: $0) == nil ? nil : $0 } ?? "(not a machine id)"
                logger.info("broker login refused", metadata: ["username": "\(name)"])
                return Self.answer(false)
            }
            return Self.answer(true)
        }
        router.post("/broker/vhost") { request, context in
            let form = try await Self.form(request, context)
            return try await answer(form) { _ in .vhost(form["vhost"] ?? "") }
        }
        router.post("/broker/resource") { request, context in
            let form = try await Self.form(request, context)
            return try await answer(form) { permission in
                guard let permission, ["queue", "exchange"].contains(form["resource"]) else { return nil }
                return .resource(isQueue: form["resource"] == "queue", name: form["name"] ?? "", permission)
            }
        }
        router.post("/broker/topic") { request, context in
            let form = try await Self.form(request, context)
            return try await answer(form) { permission in
                permission.map { .topic(exchange: form["name"] ?? "", $0, routingKey: form["routing_key"] ?? "") }
            }
        }
    }

    /// Allows what the grant allows the named machine (while its token is live).
    private func answer(_ form: [String: String], _ question: (BrokerQuestion.Permission?) -> BrokerQuestion?)
        async throws -> Response {
        guard let username = form["username"], let machine = try await accounts.machine(username),
              let asked = question(form["permission"].flatMap(BrokerQuestion.Permission.init)) else {
            return Self.answer(false)
        }
        let allowed = BrokerGrant.allows(machine, asked)
        if !allowed { logger.notice("broker access refused", metadata: ["username": "\(username)", "asked": "\(asked)"]) }
        return Self.answer(allowed)
    }

    /// The form's fields (`a=b&c=d`, `+` a space, %-escapes decoded; the
    /// first of a repeated field counts). Parsed here, not by URLComponents,
    /// whose setter stops the process on text it does not expect.
    static func form(_ request: Request, _ context: BasicRequestContext) async throws -> [String: String] {
        form(String(buffer: try await request.body.collect(upTo: 16_384)))
    }

    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decoded = parts.map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decoded.first ?? nil, fields[name] == nil else { continue }
            fields[name] = decoded.count == 2 ? decoded[1] ?? "" : ""
        }
        return fields
    }

    private static func answer(_ allowed: Bool) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: allowed ? "allow" : "deny")))
    }
}
