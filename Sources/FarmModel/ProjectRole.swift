/// A member's role inside one project. Roles are ordered: each one can do
/// everything the roles below it can.
public enum ProjectRole: String, CaseIterable, Codable, Sendable, Comparable {
    case viewer
    case developer
    case release_manager
    case admin

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: ProjectRole, rhs: ProjectRole) -> Bool { lhs.rank < rhs.rank }
}
