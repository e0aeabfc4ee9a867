import Foundation

extension JSONDecoder {
    /// Dates as the API writes them (ISO 8601), for the machines' answers and their own files.
    public static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
