import FarmModel
import FarmStore
import Foundation

/// Counts a request against its IP address and, when known, its token's
/// holder (a person's and their machines' tokens count apart), and reports
/// the tighter of the two.
struct RateLimiter: Sendable {
    let store: RateLimitRepository
    let policy: RateLimitPolicy

    func hit(address: String, user: User?, kind: TokenKind?) async throws -> RateLimitStatus {
        var keys = [RateLimitRepository.addressKey(address)]
        if let user, let kind { keys.append(RateLimitRepository.holderKey(user, kind)) }
        return status(of: try await store.hit(keys, windowSeconds: policy.windowSeconds))
    }

    /// The tightest of `counts` (an address's and a holder's) against their limits.
    func status(of counts: [RateLimitRepository.Count]) -> RateLimitStatus {
        let statuses = counts.map { count in
            let limit = RateLimitRepository.isAddressKey(count.key) ? policy.perAddress : policy.perUser
            return RateLimitStatus(limit: limit, remaining: max(0, limit - count.hits), reset: count.windowEnd,
                                   exceeded: count.hits > limit)
        }
        return statuses.min { ($0.exceeded ? -1 : $0.remaining) < ($1.exceeded ? -1 : $1.remaining) }!
    }
}
