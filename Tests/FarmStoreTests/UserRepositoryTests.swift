import FarmModel
@testable import FarmStore
import FarmTestSupport
import Foundation
import Testing

@Suite struct UserRepositoryTests {
    @Test func tokensAuthenticateTheirUserAndAreStoredOnlyAsHashes() async throws {
        try await TestDatabase.withStore { store in
            let account = try await Fixtures(store: store).account()
            guard case .valid(let user, .user, _) = try await store.users.authenticate(TokenSecret(value: account.token)) else {
                Issue.record("the token did not authenticate as a user token")
                return
            }
            #expect(user == account.user)
            let stored = try await store.client.query(
                "SELECT count(*) FROM api_tokens WHERE token_hash = convert_to(\(account.token), 'UTF8')"
            ).collect().map { try $0.decode(Int.self) }
            #expect(stored == [0])
        }
    }

    @Test func expiredRevokedAndUnknownTokensAreTold() async throws {
        try await TestDatabase.withStore { store in
            let account = try await Fixtures(store: store).account()
            let (expiring, expiringSecret) = try await store.users.createToken(
                for: account.user.id, name: "short", expiresAt: Date().addingTimeInterval(60), by: nil)
            try await store.client.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = \(expiring.id)")
            #expect(try await store.users.authenticate(expiringSecret) == .expired)

            let (revoked, revokedSecret) = try await store.users.createToken(for: account.user.id, name: "gone", expiresAt: nil, by: nil)
            try await store.client.query("UPDATE api_tokens SET revoked_at = now() WHERE id = \(revoked.id)")
            #expect(try await store.users.authenticate(revokedSecret) == .revoked)

            #expect(try await store.users.authenticate(TokenSecret.generate()) == .unknown)
            #expect(try await store.users.authenticate(TokenSecret(value: "kfarm_short")) == .unknown)
        }
    }

    @Test func usernamesAreUniqueAndValidated() async throws {
        try await TestDatabase.withStore { store in
            let name = Fixtures.unique("dup")
            _ = try await store.users.create(NewUser(username: name), by: nil)
            await #expect(throws: StoreError.self) { try await store.users.create(NewUser(username: name), by: nil) }
            await #expect(throws: ValidationError.self) { try await store.users.create(NewUser(username: "no spaces"), by: nil) }
        }
    }
}
