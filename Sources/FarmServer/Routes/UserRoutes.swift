import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// Users and their tokens. Farm admins create users; a user (or an admin)
/// creates tokens for that user, whose secret is shown once.
struct UserRoutes {
    let store: Store
    let access: AccessPolicy

    struct NewToken: Decodable {
        var name: String
        var expiresAt: Date?
    }

    struct CreatedToken: Encodable {
        @LowercaseUUID var id: UUID
        var name: String
        var createdAt: Date
        @ExplicitNull var expiresAt: Date?
        /// The secret: shown only in this response.
        var token: String
    }

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/users") { request, context in
                try access.requireFarmAdmin(try context.requireUser())
                let body = try await request.decodeJSON(as: NewUser.self, context: context)
                return try Response.success(try await store.users.create(body), status: .created)
            },
            Endpoint(.get, "/users/me") { _, context in
                try Response.success(try context.requireUser())
            },
            Endpoint(.post, "/users/:id/tokens") { request, context in
                let user = try context.requireUser()
                let userID = try context.uuid("id")
                if userID != user.id { try access.requireFarmAdmin(user) }
                let body = try await request.decodeJSON(as: NewToken.self, context: context)
                let (token, secret) = try await store.users.createToken(for: userID, name: body.name, expiresAt: body.expiresAt)
                return try Response.success(
                    CreatedToken(id: token.id, name: token.name, createdAt: token.createdAt, expiresAt: token.expiresAt,
                                 token: secret.value),
                    status: .created)
            },
        ]
    }
}
