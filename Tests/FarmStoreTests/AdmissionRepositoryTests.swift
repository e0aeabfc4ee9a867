import FarmModel
@testable import FarmStore
import FarmTestSupport
import Foundation
import Testing

/// The one statement every API request starts with: the token's holder and the rate-limit counts.
@Suite struct AdmissionRepositoryTests {
    @Test func aValidTokenIsItsHolderAndCountsOnTheAddressAndTheHolder() async throws {
        try await TestDatabase.withStore { store in
            let account = try await Fixtures(store: store).account()
            let address = RateLimitRepository.addressKey(UUID().lowercased)
            // A window of decades: the counts below cannot straddle its end.
            let window = 1_000_000_000
            let first = try await store.admissions.admit(TokenSecret(value: account.token), addressKey: address, windowSeconds: window)
            guard case .valid(let user, .user, _) = first.authentication else {
                Issue.record("not admitted as its holder: \(String(describing: first.authentication))")
                return
            }
            #expect(user == account.user)
            // The holder's key as SQL spells it is the one Swift spells for session requests.
            let holder = RateLimitRepository.holderKey(account.user, .user)
            #expect(Set(first.counts.map(\.key)) == [address, holder])
            #expect(first.counts.allSatisfy { $0.hits == 1 && $0.windowEnd > Date() })
            let second = try await store.admissions.admit(TokenSecret(value: account.token), addressKey: address, windowSeconds: window)
            #expect(second.counts.map(\.hits) == [2, 2])
            // A session's request counts on the same holder's counter.
            let counted = try await store.rateLimits.hit([holder], windowSeconds: window)
            #expect(counted.map(\.hits) == [3])
        }
    }

    @Test func revokedExpiredUnknownAndMissingTokensCountOnlyOnTheAddress() async throws {
        try await TestDatabase.withStore { store in
            let account = try await Fixtures(store: store).account()
            let (revoked, revokedSecret) = try await store.users.createToken(for: account.user.id, name: "gone", expiresAt: nil, by: nil)
            try await store.client.query("UPDATE api_tokens SET revoked_at = now() WHERE id = \(revoked.id)")
            let (expired, expiredSecret) = try await store.users.createToken(
                for: account.user.id, name: "short", expiresAt: Date().addingTimeInterval(60), by: nil)
            try await store.client.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = \(expired.id)")
            let cases: [(TokenSecret?, Authentication?)] = [
                (revokedSecret, .revoked), (expiredSecret, .expired), (TokenSecret.generate(), .unknown),
                (TokenSecret(value: "kfarm_short"), nil), (nil, nil),
            ]
            for (secret, expected) in cases {
                let address = RateLimitRepository.addressKey(UUID().lowercased)
                let admission = try await store.admissions.admit(secret, addressKey: address, windowSeconds: 60)
                #expect(admission.authentication == expected, "\(String(describing: secret?.value))")
                #expect(admission.counts.map(\.key) == [address] && admission.counts.map(\.hits) == [1])
            }
        }
    }
}
