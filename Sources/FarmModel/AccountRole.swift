/// A user's farm-wide role. A farm admin manages users and projects and acts
/// as an admin in every project; a member's rights come from project roles.
public enum AccountRole: String, CaseIterable, Codable, Sendable {
    case admin
    case member
}
