import FarmModel
import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct AuthenticationTests {
    @Test func healthAndReadyNeedNoToken() async throws {
        try await withAPI { api, _ in
            let health = try await api.send(.get, "/health")
            #expect(health.status == .ok)
            #expect(health.object["status"] as? String == "success")
            let ready = try await api.send(.get, "/ready")
            #expect(ready.status == .ok)
            #expect(ready.data["state"] as? String == "ready")
        }
    }

    @Test func everyOtherEndpointNeedsABearerToken() async throws {
        try await withAPI { api, _ in
            for (method, path) in [(HTTPRequest.Method.get, "/configurations"), (.post, "/configurations"),
                                   (.get, "/projects"), (.get, "/users/me"),
                                   (.get, "/configurations/\(UUID().lowercased)")] {
                let reply = try await api.send(method, path)
                #expect(reply.status == .unauthorized, "\(method) \(path)")
                #expect(reply.errorCode == "UNAUTHORIZED")
                #expect(reply.object["status"] as? String == "error")
            }
        }
    }

    @Test func theMessageSaysWhatIsWrongWithTheToken() async throws {
        try await withAPI { api, fixtures in
            let account = try await fixtures.account()
            let cases: [(String, String)] = [
                ("Basic dXNlcjpwYXNz", "malformed Authorization header; expected 'Bearer <token>'"),
                ("Bearer", "malformed Authorization header; expected 'Bearer <token>'"),
                ("Bearer not-a-kfarm-token", "malformed token"),
                ("Bearer kfarm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid token"),
            ]
            for (header, message) in cases {
                let reply = try await api.send(.get, "/users/me", headers: [.authorization: header])
                #expect(reply.status == .unauthorized)
                #expect(reply.errorMessage == message, "\(header)")
            }
            let (revoked, revokedSecret) = try await fixtures.store.users.createToken(
                for: account.user.id, name: "old", expiresAt: nil, by: nil)
            try await fixtures.store.client.query("UPDATE api_tokens SET revoked_at = now() WHERE id = \(revoked.id)")
            let reply = try await api.send(.get, "/users/me", headers: [.authorization: "Bearer \(revokedSecret.value)"])
            #expect(reply.errorMessage == "token revoked")
            let (expired, expiredSecret) = try await fixtures.store.users.createToken(
                for: account.user.id, name: "soon", expiresAt: Date().addingTimeInterval(60), by: nil)
            try await fixtures.store.client.query("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = \(expired.id)")
            let expiredReply = try await api.send(.get, "/users/me", headers: [.authorization: "Bearer \(expiredSecret.value)"])
            #expect(expiredReply.errorMessage == "token expired")
        }
    }

    @Test func meReturnsTheTokensUser() async throws {
        try await withAPI { api, fixtures in
            let account = try await fixtures.account()
            let reply = try await api.send(.get, "/users/me", as: account)
            #expect(reply.status == .ok)
            #expect(reply.data["username"] as? String == account.user.username)
            #expect(reply.data["role"] as? String == "member")
            #expect(isLowercaseUUID(reply.data["id"]))
        }
    }

    @Test func onlyFarmAdminsCreateUsers() async throws {
        try await withAPI { api, fixtures in
            let admin = try await fixtures.account(.admin)
            let member = try await fixtures.account()
            let name = Fixtures.unique("new")
            let denied = try await api.send(.post, "/users", as: member, json: json(["username": name]))
            #expect(denied.status == .forbidden)
            #expect(denied.errorCode == "FORBIDDEN")
            #expect(try await fixtures.store.users.find(username: name) == nil)

            let created = try await api.send(.post, "/users", as: admin, json: json(["username": name, "role": "member"]))
            #expect(created.status == .created)
            #expect(created.data["username"] as? String == name)
            let again = try await api.send(.post, "/users", as: admin, json: json(["username": name]))
            #expect(again.status == .conflict)
            let invalid = try await api.send(.post, "/users", as: admin, json: json(["username": "bad name", "role": "root"]))
            #expect(invalid.status == .badRequest)
            #expect(Set(invalid.invalidFields.keys) == ["username", "role"])
        }
    }

    @Test func tokensAreCreatedForOneselfOrByAnAdminAndWork() async throws {
        try await withAPI { api, fixtures in
            let member = try await fixtures.account()
            let other = try await fixtures.account()
            let created = try await api.send(.post, "/users/\(member.user.id.lowercased)/tokens", as: member,
                                             json: json(["name": "laptop"]))
            #expect(created.status == .created)
            let secret = try #require(created.data["token"] as? String)
            let me = try await api.send(.get, "/users/me", headers: [.authorization: "Bearer \(secret)"])
            #expect(me.data["username"] as? String == member.user.username)

            let forOther = try await api.send(.post, "/users/\(other.user.id.lowercased)/tokens", as: member,
                                              json: json(["name": "steal"]))
            #expect(forOther.status == .notFound)
            let past = try await api.send(.post, "/users/\(member.user.id.lowercased)/tokens", as: member,
                                          json: json(["name": "old", "expiresAt": "2001-01-01T00:00:00Z"]))
            #expect(past.invalidFields["expiresAt"] == "must be in the future")
        }
    }
}

@Suite struct ReadinessTests {
    @Test func readyIs503WhenPostgreSQLIsUnreachable() async throws {
        // Port 1 on loopback: nothing listens there.
        let settings = try TestDatabase.settings()
        let unreachable = DatabaseSettings(host: "127.0.0.1", port: 1, username: settings.username,
                                           password: nil, database: settings.database)
        try await TestDatabase.withStoreUnmigrated(settings: unreachable) { store in
            let app = Application(router: buildRouter(store: store, shelf: try ArtifactShelf.forTests()), logger: TestDatabase.logger)
            try await app.test(.router) { client in
                let api = API(client: client)
                #expect(try await api.send(.get, "/health").status == .ok)
                let ready = try await api.send(.get, "/ready")
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.errorCode == "SERVICE_UNAVAILABLE")
            }
        }
    }
}
