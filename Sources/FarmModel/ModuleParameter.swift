/// A module parameter value. Only scalars and flat lists of scalars: what a
/// Kconfig option or a module command line can hold.
public enum ModuleParameter: Sendable, Hashable, Codable {
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case list([ModuleParameter])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let values = try? container.decode([ModuleParameter].self) {
            self = .list(values)
        } else {
            throw DecodingError.typeMismatch(
                ModuleParameter.self,
                .init(codingPath: decoder.codingPath,
                      debugDescription: "must be a boolean, number, string or a list of those")
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        }
    }

    /// Why this value cannot be a parameter, if it cannot.
    public var problem: String? {
        switch self {
        case .bool, .integer:
            return nil
        case .number(let value):
            return value.isFinite ? nil : "must be a finite number"
        case .string(let value):
            return FieldRule.kconfigValue.problem(with: value)
        case .list(let values):
            if values.count > 64 { return "must have at most 64 items" }
            if values.contains(where: { if case .list = $0 { true } else { false } }) {
                return "must be a flat list (no nested lists)"
            }
            return values.lazy.compactMap(\.problem).first
        }
    }
}
