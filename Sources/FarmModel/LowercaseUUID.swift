import Foundation

/// Encodes a UUID in lowercase, as RFC 9562 and the seed write them
/// (Foundation's `uuidString` is uppercase). Decoding accepts either case.
@propertyWrapper
public struct LowercaseUUID: Codable, Sendable, Hashable {
    public var wrappedValue: UUID

    public init(wrappedValue: UUID) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.lowercased)
    }
}

extension UUID {
    /// The canonical lowercase text form.
    public var lowercased: String { uuidString.lowercased() }
}
