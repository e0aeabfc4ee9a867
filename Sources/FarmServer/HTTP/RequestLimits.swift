import FarmStore
import Foundation
import HummingbirdCore
import NIOCore

/// What one request may take of the server: followers of build logs, the
/// size of an uploaded tarball, the wait for PostgreSQL and for a slow client.
public struct RequestLimits: Sendable {
    /// Open `/builds/{id}/events` streams one user may hold, and the whole farm.
    public var followersPerUser: Int
    public var followersPerFarm: Int
    /// How often an idle follower sends a `: keep-alive` comment.
    public var keepAlive: Duration
    /// How long one stream lasts at most (it then says where to resume):
    /// a build that never runs must not hold a follower slot for ever.
    public var streamLifetime: Duration
    /// The largest tarball `PUT /artifact-blobs/{sha256}` takes.
    public var maxBlobSize: Int
    /// How long a request waits for PostgreSQL before it is answered 503.
    public var databasePatience: Duration
    /// A connection silent this long (headers not finished, or idle between requests) is closed.
    public var idleTimeout: Duration

    public static let defaultMaxBlobSize = 2 << 30

    /// HTTP/1.1 with `idleTimeout`: a client that opens a connection and
    /// sends half a header, or nothing, is cut off rather than holding it forever.
    public var server: HTTPServerBuilder {
        .http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout)))
    }

    public init(followersPerUser: Int = 10, followersPerFarm: Int = 200,
                keepAlive: Duration = .seconds(15), streamLifetime: Duration = .seconds(3600), maxBlobSize: Int = RequestLimits.defaultMaxBlobSize,
                databasePatience: Duration = DatabaseDeadline.defaultPatience, idleTimeout: Duration = .seconds(60)) {
        self.followersPerUser = followersPerUser
        self.followersPerFarm = followersPerFarm
        self.keepAlive = keepAlive
        self.streamLifetime = streamLifetime
        self.maxBlobSize = maxBlobSize
        self.databasePatience = databasePatience
        self.idleTimeout = idleTimeout
    }
}
