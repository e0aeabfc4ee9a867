/// Input that breaks the farm's rules. `fields` maps each offending field
/// (a path such as `modules[1].path`) to what is wrong with it.
public struct ValidationError: Error, Sendable, Equatable {
    public var fields: [String: String]

    public init(fields: [String: String]) {
        self.fields = fields
    }

    public init(field: String, _ message: String) {
        self.fields = [field: message]
    }
}

/// Collects every problem in one input before reporting, so a client fixes
/// them all in one round trip.
public struct Validator: Sendable {
    private var fields: [String: String] = [:]

    public init() {}

    public mutating func fail(_ field: String, _ message: String) {
        if fields[field] == nil { fields[field] = message }
    }

    /// Records the rule's message when `value` breaks it.
    public mutating func check(_ field: String, _ value: String, _ rule: FieldRule) {
        if let problem = rule.problem(with: value) { fail(field, problem) }
    }

    public func finish() throws(ValidationError) {
        if !fields.isEmpty { throw ValidationError(fields: fields) }
    }
}
