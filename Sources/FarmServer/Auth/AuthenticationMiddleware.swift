import FarmModel
import FarmStore
import Hummingbird

/// Resolves `Authorization: Bearer <token>` to a user for every route behind
/// it. The message says what was wrong with the token (missing, malformed,
/// expired, revoked, unknown) but never whether a user exists.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = FarmRequestContext

    let users: UserRepository

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("missing Authorization header; send 'Authorization: Bearer <token>'")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("malformed Authorization header; expected 'Bearer <token>'")
        }
        let secret = TokenSecret(value: String(parts[1]))
        guard secret.isWellFormed else { throw APIError.unauthorized("malformed token") }
        switch try await users.authenticate(secret) {
        case .user(let user):
            var context = context
            context.user = user
            context.logger[metadataKey: "user"] = .string(user.username)
            return try await next(request, context)
        case .expired:
            throw APIError.unauthorized("token expired")
        case .revoked:
            throw APIError.unauthorized("token revoked")
        case .unknown:
            throw APIError.unauthorized("invalid token")
        }
    }
}
