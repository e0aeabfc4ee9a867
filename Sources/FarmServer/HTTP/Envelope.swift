import FarmModel
import Hummingbird

/// The seed's success envelope: `{"status":"success","data":...}`.
struct Envelope<Payload: Encodable>: Encodable {
    let status = "success"
    let data: Payload
}

/// The seed's error envelope.
struct ErrorEnvelope: Encodable {
    struct Body: Encodable {
        let code: String
        let message: String
        let details: [String: ErrorDetail]
    }

    let status = "error"
    let error: Body
}

extension Response {
    /// A success envelope around `data`.
    static func success(_ data: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        try JSONBody.response(status: status, Envelope(data: data))
    }

    static func failure(_ error: APIError) throws -> Response {
        var response = try JSONBody.response(
            status: error.status,
            ErrorEnvelope(error: .init(code: error.code.rawValue, message: error.message, details: error.details)))
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
