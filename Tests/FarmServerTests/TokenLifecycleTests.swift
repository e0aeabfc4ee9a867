import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct TokenLifecycleTests {
    @Test func createListRevokeWithoutEverShowingSecretsAgain() async throws {
        try await withAPI { api, fixtures in
            let account = try await fixtures.account()
            let base = "/users/\(account.user.id.lowercased)/tokens"
            let created = try await api.send(.post, base, as: account,
                                             json: json(["name": "ci", "expiresAt": "2036-01-01T00:00:00Z"]))
            #expect(created.status == .created)
            let secret = try #require(created.data["token"] as? String)
            let tokenID = try #require(created.data["id"] as? String)
            #expect(created.data["expiresAt"] as? String == "2036-01-01T00:00:00Z")

            let listed = try await api.send(.get, base, as: account)
            let tokens = try #require(listed.data["tokens"] as? [[String: Any]])
            #expect(Set(tokens.compactMap { $0["name"] as? String }) == ["test", "ci"])
            #expect(tokens.allSatisfy { $0["token"] == nil && $0["tokenHash"] == nil })
            let listedText = String(decoding: try JSONSerialization.data(withJSONObject: listed.object), as: UTF8.self)
            #expect(!listedText.contains(secret) && !listedText.contains(account.token))
            // The token that made this request was just used.
            #expect(tokens.first { $0["name"] as? String == "test" }?["lastUsedAt"] is String)

            let revoked = try await api.send(.delete, "\(base)/\(tokenID)", as: account)
            #expect(revoked.status == .ok)
            #expect(revoked.data["revokedAt"] is String)
            #expect(try await api.send(.delete, "\(base)/\(tokenID)", as: account).status == .ok, "revoking twice is harmless")
            let refused = try await api.send(.get, "/users/me", headers: [.authorization: "Bearer \(secret)"])
            #expect(refused.status == .unauthorized && refused.errorMessage == "token revoked")
            #expect(try await api.send(.delete, "\(base)/\(UUID().lowercased)", as: account).status == .notFound)
        }
    }

    @Test func othersTokensAreInvisibleExceptToFarmAdmins() async throws {
        try await withAPI { api, fixtures in
            let owner = try await fixtures.account()
            let stranger = try await fixtures.account()
            let admin = try await fixtures.account(.admin)
            let base = "/users/\(owner.user.id.lowercased)/tokens"
            let hidden = try await api.send(.get, base, as: stranger)
            #expect(hidden.status == .notFound)
            let ghost = try await api.send(.get, "/users/\(UUID().lowercased)/tokens", as: stranger)
            #expect(ghost.status == hidden.status && ghost.errorMessage == hidden.errorMessage, "no existence leak")

            let tokens = try await api.send(.get, base, as: admin)
            let id = try #require((tokens.data["tokens"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await api.send(.delete, "\(base)/\(id)", as: stranger).status == .notFound)
            #expect(try await api.send(.delete, "\(base)/\(id)", as: admin).status == .ok)
            #expect(try await api.send(.get, "/users/me", as: owner).errorMessage == "token revoked")
        }
    }

    @Test func onlyFarmAdminsMakeMachineTokensAndThoseCannotActAsPeople() async throws {
        try await withAPI { api, fixtures in
            let member = try await fixtures.account()
            let admin = try await fixtures.account(.admin)
            let denied = try await api.send(.post, "/users/\(member.user.id.lowercased)/tokens", as: member,
                                            json: json(["name": "w", "kind": "worker"]))
            #expect(denied.status == .forbidden)
            let bad = try await api.send(.post, "/users/\(admin.user.id.lowercased)/tokens", as: admin,
                                         json: json(["name": "w", "kind": "robot"]))
            #expect(bad.invalidFields["kind"] == "must be one of: user, worker, system")
            let made = try await api.send(.post, "/users/\(admin.user.id.lowercased)/tokens", as: admin,
                                          json: json(["name": "w", "kind": "worker"]))
            #expect(made.status == .created && made.data["kind"] as? String == "worker")
            let secret = try #require(made.data["token"] as? String)
            let refused = try await api.send(.get, "/projects", headers: [.authorization: "Bearer \(secret)"])
            #expect(refused.status == .forbidden)
            #expect(refused.errorDetails["tokenKind"] as? String == "worker")
        }
    }

    @Test func unauthorizedMessagesDoNotRevealWhetherAUserExists() async throws {
        try await withAPI { api, _ in
            // A well-formed token for nobody and a random one read the same.
            let first = try await api.send(.get, "/users/me", headers: [.authorization: "Bearer kfarm_\(String(repeating: "A", count: 43))"])
            let second = try await api.send(.get, "/users/me", headers: [.authorization: "Bearer kfarm_\(String(repeating: "b", count: 43))"])
            #expect(first.errorMessage == "invalid token" && second.errorMessage == first.errorMessage)
        }
    }
}
