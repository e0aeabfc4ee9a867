import FarmModel
import FarmStore
import Foundation
import HTTPTypes
import Hummingbird

/// The first thing every request meets: it resolves the bearer token (if
/// any) to a user, counts the request against the caller's rate limits,
/// refuses it with 429 when a limit is spent, and puts the seed's
/// `X-RateLimit-*` headers on every response. It never rejects a request
/// for its token: endpoints decide whether they need one (`Requirement`),
/// so failed logins count against the address like any other request.
/// Open endpoints (`/health`, `/ready`) pass straight through: probes are
/// never throttled and must answer while PostgreSQL is down.
struct GatekeeperMiddleware: RouterMiddleware {
    typealias Context = FarmRequestContext

    let admissions: AdmissionRepository
    let sessions: DashboardSessionRepository
    let limiter: RateLimiter
    let routes: RouteTable
    /// Bounds the wait for PostgreSQL, which every identification needs.
    let deadline: DatabaseDeadline

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requirement = routes.requirement(for: request.method, path: request.uri.path)
        if requirement == .open {
            return try await next(request, context)
        }
        let caller: Context
        let status: RateLimitStatus
        do {
            (caller, status) = try await deadline.run {
                var caller = context
                let address = ClientAddress.of(request, peer: caller.remoteAddress, trustedProxies: limiter.policy.trustedProxies)
                if requirement == .session {
                    try await identifyBySession(request, &caller)
                    return (caller, try await limiter.hit(address: address, user: caller.user, kind: caller.tokenKind))
                }
                let status = try await admit(request, from: address, &caller)
                return (caller, status)
            }
        } catch {
            context.logger.error("identifying the caller failed", metadata: ["error": "\(String(reflecting: error))"])
            return try .failure(ErrorMiddleware<Context>.translate(error))
        }
        var response: Response
        if status.exceeded {
            response = try .failure(APIError(
                status: .tooManyRequests, code: .rateLimited,
                message: "rate limit of \(status.limit) requests per \(limiter.policy.windowSeconds) s exceeded; retry after \(status.retryAfter()) s",
                details: ["limit": .string(String(status.limit)), "retryAfter": .string(String(status.retryAfter()))],
                retryAfter: status.retryAfter()))
        } else {
            response = try await next(request, caller)
        }
        response.headers[.xRateLimitLimit] = String(status.limit)
        response.headers[.xRateLimitRemaining] = String(status.remaining)
        response.headers[.xRateLimitReset] = String(Int(status.reset.timeIntervalSince1970))
        return response
    }

    /// Counts the request against its limits and, in the same statement,
    /// sets `context.user`, or `context.tokenProblem` saying what was wrong
    /// with the token (missing, malformed, expired, revoked, unknown) without
    /// telling whether any user exists.
    private func admit(_ request: Request, from address: String, _ context: inout Context) async throws -> RateLimitStatus {
        var secret: TokenSecret?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                secret = TokenSecret(value: String(parts[1]))
                if secret?.isWellFormed == false { context.tokenProblem = "malformed token" }
            } else {
                context.tokenProblem = "malformed Authorization header; expected 'Bearer <token>'"
            }
        }
        let admission = try await admissions.admit(secret, addressKey: RateLimitRepository.addressKey(address),
                                                   windowSeconds: limiter.policy.windowSeconds)
        if let authentication = admission.authentication { accept(authentication, &context) }
        return limiter.status(of: admission.counts)
    }

    /// The dashboard's caller: whoever the session cookie belongs to (the
    /// Authorization header is not read there, nor the cookie anywhere else).
    private func identifyBySession(_ request: Request, _ context: inout Context) async throws {
        guard let secret = DashboardCookie.secret(in: request.headers) else { return }
        accept(try await sessions.authenticate(secret), &context)
    }

    private func accept(_ authentication: Authentication, _ context: inout Context) {
        switch authentication {
        case .valid(let user, let kind, let tokenID):
            context.user = user
            context.tokenKind = kind
            context.tokenID = tokenID
            context.logger[metadataKey: "user"] = .string(user.username)
        case .expired:
            context.tokenProblem = "token expired"
        case .revoked:
            context.tokenProblem = "token revoked"
        case .unknown:
            context.tokenProblem = "invalid token"
        }
    }
}
