/// What a token may be used for. User tokens act as their user; worker and
/// system tokens are for machines (build workers, deployment agents) and
/// are refused by every endpoint not made for them.
public enum TokenKind: String, CaseIterable, Codable, Sendable {
    case user
    case worker
    case system
}
