import ArgumentParser
import FarmModel
import FarmStore
import Foundation

/// Bootstrapping commands that talk to the database directly, for the first
/// admin and for recovery when no one holds a token.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create users and tokens directly in the database.",
        subcommands: [CreateUser.self, CreateToken.self])

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The username.")
        var username: String

        @Option(help: "admin (manages users and projects, admin in every project) or member.")
        var role: AccountRole = .member

        @Flag(help: "Succeed without changes when the user exists.")
        var ifMissing = false

        func run() async throws {
            let user = try await database.withStore(logger: .kfarm("kfarm.admin")) { store in
                if ifMissing, let existing = try await store.users.find(username: username) { return existing }
                return try await store.users.create(NewUser(username: username, role: role), by: nil)
            }
            print("user \(user.username) (\(user.role.rawValue)) id \(user.id.lowercased)")
        }
    }

    struct CreateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token for a user and print it (it is shown only once).")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "The username the token belongs to.")
        var username: String

        @Option(help: "A label for the token.")
        var name = "cli"

        @Option(help: "user (acts as the user), worker (build workers) or system (deployment agents).")
        var kind: TokenKind = .user

        @Option(help: "Days until the token expires (default: never).")
        var expiresInDays: Int?

        func run() async throws {
            let secret = try await database.withStore(logger: .kfarm("kfarm.admin")) { store in
                guard let user = try await store.users.find(username: username) else {
                    throw ArgumentParser.ValidationError("no user named \(username)")
                }
                let expiry = expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
                return try await store.users.createToken(for: user.id, name: name, kind: kind, expiresAt: expiry, by: nil).1
            }
            print(secret.value)
        }
    }
}

extension AccountRole: ExpressibleByArgument {}
extension TokenKind: ExpressibleByArgument {}
