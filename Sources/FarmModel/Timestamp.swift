import Foundation

/// Reads RFC 3339 timestamps as clients send them: any offset, optional
/// fractional seconds, `T`/`Z` in either case. Only years 1970 to 9999
/// are dates of the farm: PostgreSQL's driver traps on a date a few
/// hundred millennia away, so every date from outside is bounded here, where it is read.
public enum Timestamp {
    /// From 1970-01-01T00:00:00Z up to, not including, 10000-01-01T00:00:00Z.
    public static let range = Date(timeIntervalSince1970: 0)..<Date(timeIntervalSince1970: 253_402_300_800)

    /// What a client must send, for validation messages.
    public static let expected = "an ISO 8601 timestamp from 1970 to 9999, such as 2025-06-02T15:30:00Z"

    /// The date, or nil when the text is not a timestamp or lies outside `range`.
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        let normalized = text.uppercased()
        formatter.formatOptions = [.withInternetDateTime]
        var date = formatter.date(from: normalized)
        if date == nil {
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            date = formatter.date(from: normalized)
        }
        guard let date, range.contains(date) else { return nil }
        return date
    }
}
