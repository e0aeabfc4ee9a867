import Foundation
import Mustache

/// JSON as the API writes it, turned into the plain Swift values Mustache
/// renders (`Bool` stays a truth value, not a number; a null is an empty,
/// false value, not a missing one that Mustache would look up in the
/// enclosing object: a stage's `startedAt` is never its build's).
enum JSONTree: Decodable {
    case null, bool(Bool), integer(Int), number(Double), string(String), array([JSONTree]), object([String: JSONTree])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONTree].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONTree].self))
        }
    }

    var value: Any {
        switch self {
        case .null: JSONNull()
        case .bool(let value): value
        case .integer(let value): value
        case .number(let value): value
        case .string(let value): value
        case .array(let values): values.map(\.value)
        case .object(let fields): fields.mapValues(\.value)
        }
    }
}

/// JSON's null to a template: renders as nothing, and a section over it is skipped.
struct JSONNull: MustacheCustomRenderable {
    var renderText: String { "" }
    var isNull: Bool { true }
}
