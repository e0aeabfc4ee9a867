import FarmModel
import Hummingbird
import NIOCore

/// Per-request state: the core Hummingbird storage, who is calling, and
/// what the endpoint requires of them.
public struct FarmRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer of the connection (nil in router tests, which have none).
    let remoteAddress: SocketAddress?
    /// Set by `GatekeeperMiddleware` when a valid token was presented.
    public var user: User?
    /// Why a presented token was refused, for the 401 message.
    var tokenProblem: String?
    /// The project role the endpoint requires, set by `Authorizer`.
    var requiredProjectRole: ProjectRole?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// JSON bodies larger than this are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated user, or 401 saying what was wrong with the token.
    func requireUser() throws -> User {
        guard let user else {
            throw APIError.unauthorized(tokenProblem ?? "missing Authorization header; send 'Authorization: Bearer <token>'")
        }
        return user
    }
}
