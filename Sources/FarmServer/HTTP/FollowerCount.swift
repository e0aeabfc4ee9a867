import Foundation
import Synchronization

/// How many `/builds/{id}/events` streams are open, per user and in all:
/// each holds a database poll loop, so their number is bounded. A slot is
/// taken before the stream is answered and given back when the stream's
/// body is gone (finished, the client gone, or never sent, as for a HEAD).
final class FollowerCount: Sendable {
    let limits: RequestLimits
    private let streams = Mutex<[UUID: Int]>([:])

    init(limits: RequestLimits) {
        self.limits = limits
    }

    /// A slot for `user`, or 429 RATE_LIMITED saying which bound is reached.
    func admit(_ user: UUID) throws -> Slot {
        let refusal: String? = streams.withLock { counts in
            if counts[user, default: 0] >= limits.followersPerUser {
                return "at most \(limits.followersPerUser) streams of build events may be open per user"
            }
            if counts.values.reduce(0, +) >= limits.followersPerFarm {
                return "the farm serves at most \(limits.followersPerFarm) streams of build events at a time"
            }
            counts[user, default: 0] += 1
            ServerMetrics.followers.increment()
            return nil
        }
        if let refusal {
            throw APIError(status: .tooManyRequests, code: .rateLimited, message: "\(refusal); close one and retry",
                           retryAfter: 5)
        }
        return Slot(count: self, user: user)
    }

    private func release(_ user: UUID) {
        streams.withLock { counts in
            counts[user, default: 1] -= 1
            ServerMetrics.followers.decrement()
            if counts[user] == 0 { counts[user] = nil }
        }
    }

    /// One open stream; dropping the last reference gives the slot back.
    final class Slot: Sendable {
        private let count: FollowerCount
        private let user: UUID

        fileprivate init(count: FollowerCount, user: UUID) {
            self.count = count
            self.user = user
        }

        deinit { count.release(user) }
    }
}
