import Foundation

public struct User: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var username: String
    public var role: AccountRole
    public var createdAt: Date

    public init(id: UUID, username: String, role: AccountRole, createdAt: Date) {
        self.id = id
        self.username = username
        self.role = role
        self.createdAt = createdAt
    }

    public var ref: UserRef { UserRef(id: id, username: username) }
}

/// A request to create a user.
public struct NewUser: Decodable, Sendable {
    public var username: String
    /// `admin` or `member` (the default).
    public var role: String?

    public init(username: String, role: AccountRole? = nil) {
        self.username = username
        self.role = role?.rawValue
    }

    /// The requested role; call after `validate()`.
    public var validRole: AccountRole { role.flatMap(AccountRole.init) ?? .member }

    public static let usernameRule = FieldRule { value in
        guard (1...64).contains(value.count) else { return "must be 1 to 64 characters" }
        let valid = value.unicodeScalars.allSatisfy {
            $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" || $0 == "."
        }
        return valid ? nil : "may contain only letters, digits, '_', '-' and '.'"
    }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        validator.check("username", username, Self.usernameRule)
        if let role, AccountRole(rawValue: role) == nil {
            validator.fail("role", "must be one of: \(AccountRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try validator.finish()
    }
}
