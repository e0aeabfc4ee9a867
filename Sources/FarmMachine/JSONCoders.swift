import Foundation

extension JSONEncoder {
    /// A machine's request bodies: ISO 8601 dates, and keys sorted, so the
    /// same value is the same bytes in every process (the API recognises a
    /// module catalog published again by the sha256 of its body).
    public static var request: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}

extension JSONDecoder {
    /// Dates as the API writes them (ISO 8601), for the machines' answers and their own files.
    public static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
