import FarmModel
import Foundation

/// The client's uses of JSON passed on as it is.
extension JSONValue {
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
