import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// Users and their tokens. Farm admins create users; a user manages their
/// own tokens and a farm admin anyone's. A token's secret is shown once.
struct UserRoutes {
    let store: Store

    struct NewToken: Decodable {
        var name: String
        var kind: String?
        var expiresAt: Date?

        /// The kind asked for; machine tokens are for farm admins to make.
        func validKind(for caller: User) throws -> TokenKind {
            guard let kind = TokenKind(rawValue: kind ?? TokenKind.user.rawValue) else {
                throw ValidationError(field: "kind", "must be one of: \(TokenKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard kind == .user || caller.role == .admin else {
                throw APIError.forbidden("only farm admins create \(kind.rawValue) tokens")
            }
            return kind
        }
    }

    struct CreatedToken: Encodable {
        @LowercaseUUID var id: UUID
        var name: String
        var kind: TokenKind
        var createdAt: Date
        @ExplicitNull var expiresAt: Date?
        /// The secret: shown only in this response.
        var token: String
    }

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/users", .farmAdmin) { request, context in
                let body = try await request.decodeJSON(as: NewUser.self, context: context)
                let user = try await store.users.create(body, by: try context.requireUser().id)
                return try Response.success(user, status: .created)
            },
            Endpoint(.get, "/users/me", .user) { _, context in
                try Response.success(try context.requireUser())
            },
            Endpoint(.post, "/users/:id/tokens", .user) { request, context in
                let (userID, actor) = try tokenOwner(context)
                let body = try await request.decodeJSON(as: NewToken.self, context: context)
                let kind = try body.validKind(for: try context.requireUser())
                let (token, secret) = try await store.users.createToken(
                    for: userID, name: body.name, kind: kind, expiresAt: body.expiresAt, by: actor)
                return try Response.success(
                    CreatedToken(id: token.id, name: token.name, kind: token.kind, createdAt: token.createdAt,
                                 expiresAt: token.expiresAt, token: secret.value),
                    status: .created)
            },
            Endpoint(.get, "/users/:id/tokens", .user) { _, context in
                let (userID, _) = try tokenOwner(context)
                return try Response.success(["tokens": try await store.users.tokens(of: userID)])
            },
            Endpoint(.delete, "/users/:id/tokens/:tokenId", .user) { _, context in
                let (userID, actor) = try tokenOwner(context)
                let token = try await store.users.revokeToken(try context.uuid("tokenId"), of: userID, by: actor)
                return try Response.success(token)
            },
        ]
    }

    /// The user named by `:id`, whose tokens the caller may manage: their
    /// own, or anyone's for a farm admin. Others' ids answer 404.
    private func tokenOwner(_ context: FarmRequestContext) throws -> (UUID, UUID) {
        let caller = try context.requireUser()
        let userID = try context.uuid("id")
        guard userID == caller.id || caller.role == .admin else { throw APIError.notFound("user", userID.lowercased) }
        return (userID, caller.id)
    }
}
