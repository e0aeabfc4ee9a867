import FarmModel

/// Who may call an endpoint. Each endpoint states its requirement once, in
/// the endpoint table; `Authorizer` enforces the caller part before the
/// handler runs, and the handler names the project a project role applies to.
enum Requirement: Sendable, Hashable {
    /// No token needed (health checks).
    case open
    /// Any user with a valid token (reads of their own things).
    case user
    /// A farm admin (users, projects).
    case farmAdmin
    /// At least this role in the project the request addresses.
    case project(ProjectRole)
    /// A worker token (build workers joining, claiming, reporting).
    case worker
    /// A system token (deployment agents heartbeating, fetching, reporting).
    case system
    /// The dashboard (`/ui`): the caller is who its session cookie says (no
    /// token header), and a page without a session sends the browser to sign in.
    case session

    /// A one-line description, for the matrix in the README and errors.
    var summary: String {
        switch self {
        case .open: "anyone"
        case .user: "any user"
        case .farmAdmin: "farm admin"
        case .project(let role): "project \(role.rawValue)+"
        case .worker: "worker token"
        case .system: "system token"
        case .session: "dashboard session (else sign-in)"
        }
    }
}

/// Enforces the caller half of a requirement: a token where one is needed
/// (401, with what was wrong with it), farm admin where needed (403).
enum Authorizer {
    static func check(_ requirement: Requirement, _ context: inout FarmRequestContext) throws {
        switch requirement {
        case .open, .session:
            return
        case .user:
            _ = try context.requireUser()
        case .farmAdmin:
            guard try context.requireUser().role == .admin else {
                throw APIError.forbidden("this action needs a farm admin", details: ["requiredRole": .string("farm admin")])
            }
        case .project(let role):
            _ = try context.requireUser()
            context.requiredProjectRole = role
        case .worker:
            _ = try context.requireWorkerToken()
        case .system:
            _ = try context.requireMachineToken(.system)
        }
    }
}
