import Foundation

/// Reads RFC 3339 timestamps as clients send them: any offset, optional
/// fractional seconds, `T`/`Z` in either case.
public enum Timestamp {
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        let normalized = text.uppercased()
        if let date = formatter.date(from: normalized) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: normalized)
    }
}
