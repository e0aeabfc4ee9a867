/// The seed's envelope around every answer of the HTTP API:
/// `{"status":"success","data":...}` or
/// `{"status":"error","error":{"code","message","details"}}`. The server
/// writes it and the farm's clients read it, as this one type.
public struct APIEnvelope<Payload> {
    public var status: String
    public var data: Payload?
    public var error: APIProblem?

    public init(data: Payload) {
        status = "success"
        self.data = data
    }
}

extension APIEnvelope where Payload == Never {
    public init(error: APIProblem) {
        status = "error"
        self.error = error
    }
}

extension APIEnvelope: Sendable where Payload: Sendable {}
extension APIEnvelope: Encodable where Payload: Encodable {}
extension APIEnvelope: Decodable where Payload: Decodable {}

/// The error inside an error envelope.
public struct APIProblem: Codable, Sendable, Equatable {
    /// One of the seed's codes, e.g. `VALIDATION_ERROR`.
    public var code: String
    public var message: String
    public var details: [String: ErrorDetail]

    public init(code: String, message: String, details: [String: ErrorDetail] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    private enum CodingKeys: String, CodingKey { case code, message, details }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        message = try container.decode(String.self, forKey: .message)
        details = try container.decodeIfPresent([String: ErrorDetail].self, forKey: .details) ?? [:]
    }
}

/// A value inside `error.details`: a text, or a text per field.
public enum ErrorDetail: Codable, Sendable, Equatable {
    case string(String)
    case fields([String: String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            self = .fields(try container.decode([String: String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .fields(let value): try container.encode(value)
        }
    }
}
