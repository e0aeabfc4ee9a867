@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RateLimitTests {
    /// Waits out the end of a window so a burst lands in one window.
    private func awayFromWindowEdge(_ seconds: Int) async throws {
        let intoWindow = Int(Date().timeIntervalSince1970) % seconds
        if seconds - intoWindow < 3 { try await Task.sleep(for: .seconds(seconds - intoWindow + 1)) }
    }

    @Test func concurrentBurstGetsExactRemainingCountsThen429() async throws {
        let limits = RateLimitPolicy(perUser: 20, perAddress: 1_000_000, windowSeconds: 3600)
        try await awayFromWindowEdge(limits.windowSeconds)
        try await withAPI(limits: limits) { api, fixtures in
            let account = try await fixtures.account()
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<30 { group.addTask { try await api.send(.get, "/users/me", as: account) } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            let ok = replies.filter { $0.status == .ok }
            let limited = replies.filter { $0.status == .tooManyRequests }
            #expect(ok.count == 20)
            #expect(limited.count == 10, "\(replies.filter { $0.status != .ok && $0.status != .tooManyRequests }.map { "\($0.status) \($0.errorMessage ?? "")" })")
            let remaining = ok.compactMap { $0.headers[.xRateLimitRemaining].flatMap(Int.init) }.sorted()
            #expect(remaining == Array(0..<20), "each hit saw its own count: no lost updates, none negative")
            #expect(replies.allSatisfy { $0.headers[.xRateLimitLimit] == "20" })
            for reply in limited {
                #expect(reply.headers[.xRateLimitRemaining] == "0")
                #expect(reply.errorCode == "RATE_LIMITED")
                let retryAfter = try #require(reply.headers[.retryAfter].flatMap(Int.init))
                #expect((1...3600).contains(retryAfter))
            }
            let reset = try #require(ok.first?.headers[.xRateLimitReset].flatMap(Int.init))
            let now = Int(Date().timeIntervalSince1970)
            #expect(reset > now && reset <= now + 3600)
        }
    }

    @Test func usersAreLimitedSeparately() async throws {
        let limits = RateLimitPolicy(perUser: 3, perAddress: 1_000_000, windowSeconds: 3600)
        try await awayFromWindowEdge(limits.windowSeconds)
        try await withAPI(limits: limits) { api, fixtures in
            let first = try await fixtures.account()
            let second = try await fixtures.account()
            for _ in 0..<3 { #expect(try await api.send(.get, "/users/me", as: first).status == .ok) }
            #expect(try await api.send(.get, "/users/me", as: first).status == .tooManyRequests)
            let other = try await api.send(.get, "/users/me", as: second)
            #expect(other.status == .ok)
            #expect(other.headers[.xRateLimitRemaining] == "2")
        }
    }

    @Test func addressLimitCountsFailedLoginsAndTrustsOnlyConfiguredProxies() async throws {
        // Documentation-range client addresses, fresh per run, named by a trusted proxy (the loopback peer).
        func documentationAddress() -> String {
            "2001:db8::\(String(Int.random(in: 1...0xffff), radix: 16)):\(String(Int.random(in: 1...0xffff), radix: 16))"
        }
        let client = documentationAddress()
        let unique = documentationAddress()
        let limits = RateLimitPolicy(perUser: 1000, perAddress: 4, windowSeconds: 3600, trustedProxies: ["127.0.0.1"])
        try await awayFromWindowEdge(limits.windowSeconds)
        try await withAPI(limits: limits, .live) { api, fixtures in
            _ = fixtures
            let forwarded: HTTPFields = [.xForwardedFor: "203.0.113.9, \(unique)", .authorization: "Bearer kfarm_wrong"]
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<5 { statuses.append(try await api.send(.get, "/users/me", headers: forwarded).status) }
            #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
            // Another client behind the same proxy has its own budget.
            let other = try await api.send(.get, "/users/me", headers: [.xForwardedFor: client])
            #expect(other.status == .unauthorized)
            #expect(other.headers[.xRateLimitRemaining] == "3")
            #expect(try await api.send(.get, "/health").headers[.xRateLimitLimit] == nil, "probes are never limited")
        }
    }

    @Test func forwardedForFromAnUntrustedPeerIsIgnored() async throws {
        let limits = RateLimitPolicy(perUser: 1000, perAddress: 1_000_000, windowSeconds: 3600, trustedProxies: [])
        try await awayFromWindowEdge(limits.windowSeconds)
        try await withAPI(limits: limits, .live) { api, _ in
            var remaining: [Int] = []
            for index in 0..<3 {
                let reply = try await api.send(.get, "/users/me", headers: [.xForwardedFor: "198.51.100.\(index + 1)"])
                remaining.append(try #require(reply.headers[.xRateLimitRemaining].flatMap(Int.init)))
            }
            // One bucket (the loopback peer) whatever the header claims: each request spends from it (other
            // tests' requests from the loopback peer may spend too), where a bucket per claimed address would not.
            #expect(remaining[1] < remaining[0] && remaining[2] < remaining[1], "\(remaining)")
        }
    }
}
