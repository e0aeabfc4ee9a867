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
        var limits = ["ip:\(address)": policy.perAddress]
        if let user, let kind { limits["\(kind.rawValue):\(user.id.lowercased)"] = policy.perUser }
        let counts = try await store.hit(Array(limits.keys), windowSeconds: policy.windowSeconds)
        let statuses = counts.map { count in
            let limit = limits[count.key] ?? policy.perAddress
            return RateLimitStatus(limit: limit, remaining: max(0, limit - count.hits), reset: count.windowEnd,
                                   exceeded: count.hits > limit)
        }
        return statuses.min { ($0.exceeded ? -1 : $0.remaining) < ($1.exceeded ? -1 : $1.remaining) }!
    }
}
