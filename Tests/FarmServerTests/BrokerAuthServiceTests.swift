import FarmModel
@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The broker-auth listener as RabbitMQ's HTTP auth backend calls it:
/// form-encoded POSTs, `allow` or `deny`.
@Suite struct BrokerAuthServiceTests {
    @Test func workersAndAgentsLogInWithTheirOwnTokensAndAskForWhatTheirGrantAllows() async throws {
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let admin = try await fixtures.account(.admin)
            let (token, secret) = try await store.users.createToken(for: admin.user.id, name: "w", kind: .worker,
                                                                    expiresAt: nil, by: nil)
            let worker = try await store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .arm64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096), token: token.id)
            let project = try await fixtures.project(members: [(admin, .admin)])
            let system = try await store.systems.create(
                NewTargetSystem(name: Fixtures.unique("sys"), architecture: .arm64, projectId: project.id), by: admin.user.id)
            let (systemToken, systemSecret) = try await store.users.createToken(for: admin.user.id, name: "s", kind: .system,
                                                                                expiresAt: nil, by: nil)
            try await store.rollouts.heartbeat(system.id, AgentHeartbeat(activeSlot: nil), token: systemToken.id)
            let (workerName, systemName) = (worker.id.lowercased, system.id.lowercased)

            let app = BrokerAuthService.application(accounts: store.brokerAccounts, host: "127.0.0.1", port: 0,
                                                    logger: TestDatabase.logger)
            try await app.test(.router) { client in
                func ask(_ path: String, _ fields: [String: String]) async throws -> String {
                    var form = URLComponents()
                    form.queryItems = fields.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
                    return try await client.execute(uri: "/broker/\(path)", method: .post,
                                                    headers: [.contentType: "application/x-www-form-urlencoded"],
                                                    body: ByteBuffer(string: form.percentEncodedQuery ?? "")) { String(buffer: $0.body) }
                }
                #expect(try await ask("user", ["username": workerName, "password": secret.value]) == "allow")
                #expect(try await ask("user", ["username": systemName, "password": systemSecret.value]) == "allow")
                #expect(try await ask("user", ["username": workerName, "password": systemSecret.value]) == "deny", "another's token")
                #expect(try await ask("user", ["username": systemName, "password": secret.value]) == "deny")
                #expect(try await ask("user", ["username": "guest", "password": "guest"]) == "deny")
                #expect(try await ask("user", ["username": worker.id.uuidString, "password": secret.value]) == "deny",
                        "only the lowercase id it publishes as user_id")
                #expect(try await ask("vhost", ["username": workerName, "vhost": "/", "ip": "127.0.0.1"]) == "allow")
                let armQueue = ["username": workerName, "vhost": "/", "resource": "queue", "name": "kfarm.builds.arm64",
                                "permission": "read"]
                #expect(try await ask("resource", armQueue) == "allow")
                #expect(try await ask("resource", armQueue.merging(["name": "kfarm.builds.x86_64"]) { $1 }) == "deny")
                #expect(try await ask("resource", armQueue.merging(["permission": "configure"]) { $1 }) == "deny")
                #expect(try await ask("resource", armQueue.merging(["resource": "topic"]) { $1 }) == "deny")
                let ownKey = "worker.\(workerName).build.\(UUID().lowercased).events"
                let topic = ["username": workerName, "vhost": "/", "resource": "topic", "name": "kfarm.events",
                             "permission": "write", "routing_key": ownKey]
                #expect(try await ask("topic", topic) == "allow")
                #expect(try await ask("topic", topic.merging(["routing_key": "worker.x.build.y.events"]) { $1 }) == "deny")
                #expect(try await ask("resource", ["username": systemName, "vhost": "/", "resource": "queue",
                                                   "name": "kfarm.deploy.system.\(systemName)", "permission": "read"]) == "allow")

                // Revoked: no login, and no permission either (the broker asks again once its cache expires).
                // Bodies RabbitMQ never sends, from whatever else reaches the port: a deny, not a crash.
                for hostile in ["a b", "%", "#", "%FF=1&username=%ZZ", "username", "=&&=", "username=\(workerName)&password",
                                String(repeating: "x=y&", count: 2000)] {
                    let answer = try await client.execute(uri: "/broker/user", method: .post,
                                                          headers: [.contentType: "application/x-www-form-urlencoded"],
                                                          body: ByteBuffer(string: hostile)) { String(buffer: $0.body) }
                    #expect(answer == "deny", "\(hostile.prefix(40))")
                }
                // RabbitMQ's own encoding: '+' for a space, %2B for a '+'; the first of a repeated field counts.
                #expect(BrokerAuthService.form("a=b+c%2Bd&a=other&e") == ["a": "b c+d", "e": ""])

                _ = try await store.users.revokeToken(token.id, of: admin.user.id, by: nil)
                #expect(try await ask("user", ["username": workerName, "password": secret.value]) == "deny")
                #expect(try await ask("resource", armQueue) == "deny")
            }
        }
    }
}
