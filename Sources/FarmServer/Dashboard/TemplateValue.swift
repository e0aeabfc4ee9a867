import FarmModel
import Mustache

extension JSONValue {
    /// The value as Mustache renders it: `Bool` stays a truth value, a
    /// whole number prints without a fraction, and a null is an empty, false
    /// value rather than a missing one that Mustache would look up in the
    /// enclosing object (a stage's `startedAt` is never its build's).
    var templateValue: Any {
        switch self {
        case .null: TemplateNull()
        case .bool(let value): value
        case .number(let value): value.rounded() == value && abs(value) < 1e15 ? Int(value) : value
        case .string(let value): value
        case .array(let values): values.map(\.templateValue)
        case .object(let fields): fields.mapValues(\.templateValue)
        }
    }
}

/// JSON's null to a template: renders as nothing, and a section over it is skipped.
struct TemplateNull: MustacheCustomRenderable {
    var renderText: String { "" }
    var isNull: Bool { true }
}
