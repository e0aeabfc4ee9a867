import FarmModel
import Foundation
import Hummingbird

/// Reading ids, query parameters and JSON bodies, with every problem
/// reported as a `ValidationError` that names the field.
extension Request {
    /// Decodes the JSON body; a wrong type or a missing field names its path.
    func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext, limit: Int? = nil) async throws -> T {
        try JSONBody.decode(T.self, from: try await collectBody(context: context, limit: limit))
    }

    /// The whole body, 413 beyond `limit` (the JSON default when nil).
    func collectBody(context: some RequestContext, limit: Int? = nil) async throws -> Data {
        Data(buffer: try await body.collect(upTo: limit ?? context.maxUploadSize))
    }

    /// An optional query parameter parsed by `parse`; unparseable values name the parameter.
    func query<T>(_ name: String, expected: String, _ parse: (String) -> T?) throws -> T? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = parse(text) else { throw ValidationError(field: name, "must be \(expected)") }
        return value
    }

    /// `page` and `limit` query parameters.
    func pageRequest() throws -> PageRequest {
        var validator = Validator()
        let page = integer("page", default: 1, into: &validator)
        let limit = integer("limit", default: PageRequest.defaultLimit, into: &validator)
        try validator.finish()
        return try PageRequest(page: page, limit: limit)
    }

    /// An integer query parameter, `fallback` when absent; a non-integer
    /// or one outside `range` is reported to `validator`.
    func integer(_ name: String, in range: ClosedRange<Int>? = nil, default fallback: Int,
                 into validator: inout Validator) -> Int {
        guard let text = uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text) else {
            validator.fail(name, range.map { "must be an integer from \($0.lowerBound) to \($0.upperBound)" } ?? "must be an integer")
            return fallback
        }
        if let range, !range.contains(value) {
            validator.fail(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return value
    }
}

extension FarmRequestContext {
    /// A UUID path parameter.
    func uuid(_ name: String) throws -> UUID {
        guard let text = parameters.get(name), let id = UUID(uuidString: text) else {
            throw ValidationError(field: name, "must be a UUID")
        }
        return id
    }
}

extension ValidationError {
    /// Names the field a JSON decoding failure happened at, e.g. `modules[1].isBuiltin`.
    init(decoding error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            self.init(field: Self.path(context.codingPath), "must be \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            self.init(field: Self.path(context.codingPath), "must be \(Self.describe(type)), not null")
        case .keyNotFound(let key, let context):
            self.init(field: Self.path(context.codingPath + [key]), "is required")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            self.init(field: "body", "must be valid JSON")
        case .dataCorrupted(let context):
            self.init(field: Self.path(context.codingPath), Self.corruptionMessage(context))
        @unknown default:
            self.init(field: "body", "could not be read")
        }
    }

    private static func corruptionMessage(_ context: DecodingError.Context) -> String {
        if context.debugDescription.hasPrefix("must ") { return context.debugDescription }
        return context.debugDescription.contains("UUID") ? "must be a UUID" : "has an invalid value"
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "body" }
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Double.Type: return "a number"
        case is UUID.Type: return "a UUID string"
        case is [Any].Type: return "an array"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            if name == "ModuleParameter" { return "a boolean, number, string or a list of those" }
            return "an object"
        }
    }
}
