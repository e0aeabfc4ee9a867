import FarmModel
import Hummingbird

extension Response {
    /// A success envelope around `data`.
    static func success(_ data: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        try JSONBody.response(status: status, APIEnvelope(data: data))
    }

    static func failure(_ error: APIError) throws -> Response {
        var response = try JSONBody.response(
            status: error.status,
            APIEnvelope(error: APIProblem(code: error.code.rawValue, message: error.message, details: error.details)))
        if let retryAfter = error.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// A listing's page in the seed's shape: `{"<items>": [...], "pagination": {...}}`.
struct Listing<Item: Encodable & Sendable>: Encodable {
    let key: String
    let page: Page<Item>

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(page.items, forKey: Key(stringValue: key))
        try container.encode(page.pagination, forKey: Key(stringValue: "pagination"))
    }
}
