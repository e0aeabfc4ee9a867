import Foundation

/// Any JSON, passed on as it is: a request file a person wrote, or an
/// answer printed with `--json` in the API's own shape.
enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON in a file a person wrote, or a usage error saying where it is wrong.
    static func file(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else { throw ClientFailure.usage("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ClientFailure.usage("\(path) is not JSON: \(error)")
        }
    }

    /// An object with only `keys` (of each module only what a request writes); anything else as it is.
    func keeping(_ keys: Set<String>) -> JSONValue {
        guard case .object(let fields) = self else { return self }
        var kept = fields.filter { keys.contains($0.key) }
        if case .array(let modules)? = kept["modules"] {
            kept["modules"] = .array(modules.map { $0.keeping(["name", "path", "isBuiltin", "isRequired", "parameters"]) })
        }
        return .object(kept)
    }

    /// The fields of this object whose values differ from `earlier`'s (all of it when either is not an object).
    func changes(from earlier: JSONValue) -> JSONValue {
        guard case .object(let fields) = self, case .object(let before) = earlier else { return self }
        return .object(fields.filter { before[$0.key] != $0.value })
    }

    /// The value as a farm type (dates as the API writes them).
    func decoded<Value: Decodable>(as type: Value.Type) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: JSONEncoder().encode(self))
    }
}
