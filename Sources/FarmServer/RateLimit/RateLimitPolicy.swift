import Foundation

/// How many requests a user and an IP address may make per window, and
/// which proxies may say who the client is. Counters live in PostgreSQL, so
/// the limits hold across API replicas.
public struct RateLimitPolicy: Sendable {
    public var perUser: Int
    public var perAddress: Int
    public var windowSeconds: Int
    /// Peers whose `X-Forwarded-For` is believed; everyone else's is ignored.
    public var trustedProxies: Set<String>

    public init(perUser: Int = 1200, perAddress: Int = 2400, windowSeconds: Int = 60, trustedProxies: Set<String> = []) {
        self.perUser = perUser
        self.perAddress = perAddress
        self.windowSeconds = windowSeconds
        self.trustedProxies = trustedProxies
    }
}

/// Where a caller stands against its limits after one more request: the
/// tightest of its counters, as the seed's headers report it.
struct RateLimitStatus: Sendable, Equatable {
    var limit: Int
    var remaining: Int
    var reset: Date
    var exceeded: Bool

    /// Seconds until the window resets, at least 1 (for `Retry-After`).
    func retryAfter(now: Date = Date()) -> Int {
        max(1, Int(reset.timeIntervalSince(now).rounded(.up)))
    }
}
