import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body (the sign-in form), at most 16 KiB.
struct FormFields {
    let fields: [String: String]

    init(_ request: Request, context: FarmRequestContext) async throws {
        let body = try await request.body.collect(upTo: 16 * 1024)
        fields = Self.parse(String(buffer: body))
    }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    subscript(name: String) -> String? { fields[name] }
}
