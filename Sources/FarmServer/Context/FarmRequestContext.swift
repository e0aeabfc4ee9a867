import FarmModel
import Foundation
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
    /// What the presented token is for (people, workers, agents).
    var tokenKind: TokenKind?
    /// The presented token's id (machines are bound to their token).
    var tokenID: UUID?
    /// Why a presented token was refused, for the 401 message.
    var tokenProblem: String?
    /// The project role the endpoint requires, set by `Authorizer`.
    var requiredProjectRole: ProjectRole?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The id of the presented worker token: 401 without a valid token, 403
    /// for any other kind (people's tokens cannot act as workers).
    func requireWorkerToken() throws -> UUID {
        try requireMachineToken(.worker)
    }

    /// The presented token's id, when it is a token of `kind` (a worker's or an agent's); 403 otherwise.
    func requireMachineToken(_ kind: TokenKind) throws -> UUID {
        let (_, tokenKind, tokenID) = try credential()
        guard tokenKind == kind else {
            throw APIError.forbidden("only \(kind.rawValue) tokens may call this endpoint",
                                     details: ["tokenKind": .string(tokenKind.rawValue)])
        }
        return tokenID
    }

    /// JSON bodies larger than this are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated person: 401 saying what was wrong with the token,
    /// or 403 for a machine (worker, system) token.
    func requireUser() throws -> User {
        let (user, tokenKind, _) = try credential()
        guard tokenKind == .user else {
            throw APIError.forbidden(
                "\(tokenKind.rawValue) tokens may call only the endpoints made for \(tokenKind.rawValue)s",
                details: ["tokenKind": .string(tokenKind.rawValue)])
        }
        return user
    }

    /// The valid token presented, or 401 saying what was wrong with it.
    private func credential() throws -> (User, TokenKind, UUID) {
        guard let user, let tokenKind, let tokenID else {
            throw APIError.unauthorized(tokenProblem ?? "missing Authorization header; send 'Authorization: Bearer <token>'")
        }
        return (user, tokenKind, tokenID)
    }
}
