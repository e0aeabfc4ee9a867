import Foundation

/// A kernel module of a configuration version: built in (`=y`) or as a
/// loadable module (`=m`); a required module must survive Kconfig.
public struct ConfigModule: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String
    @ExplicitNull public var path: String?
    public var isBuiltin: Bool
    public var isRequired: Bool
    public var parameters: [String: ModuleParameter]

    public init(
        id: UUID, name: String, path: String?, isBuiltin: Bool, isRequired: Bool,
        parameters: [String: ModuleParameter]
    ) {
        self.id = id
        self.name = name
        self.path = path
        self.isBuiltin = isBuiltin
        self.isRequired = isRequired
        self.parameters = parameters
    }
}

/// A module as a client submits it. `isBuiltin` and `isRequired` default to
/// false; `path` is the module's directory in the kernel tree, if known.
public struct ModuleSpec: Codable, Sendable, Equatable {
    public static let maxModules = 500
    public static let maxParameters = 64

    public var name: String
    public var path: String?
    public var isBuiltin: Bool
    public var isRequired: Bool
    public var parameters: [String: ModuleParameter]

    public init(
        name: String, path: String? = nil, isBuiltin: Bool = false, isRequired: Bool = false,
        parameters: [String: ModuleParameter] = [:]
    ) {
        self.name = name
        self.path = path
        self.isBuiltin = isBuiltin
        self.isRequired = isRequired
        self.parameters = parameters
    }

    private enum CodingKeys: String, CodingKey { case name, path, isBuiltin, isRequired, parameters }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        isBuiltin = try container.decodeIfPresent(Bool.self, forKey: .isBuiltin) ?? false
        isRequired = try container.decodeIfPresent(Bool.self, forKey: .isRequired) ?? false
        parameters = try container.decodeIfPresent([String: ModuleParameter].self, forKey: .parameters) ?? [:]
    }

    /// Checks a module list: each module's fields, and no name twice.
    public static func validate(_ modules: [ModuleSpec], field: String, into validator: inout Validator) {
        if modules.count > maxModules { validator.fail(field, "must have at most \(maxModules) modules") }
        var seen: Set<String> = []
        for (index, module) in modules.enumerated() {
            let prefix = "\(field)[\(index)]"
            validator.check("\(prefix).name", module.name, .moduleName)
            if !seen.insert(module.name).inserted {
                validator.fail("\(prefix).name", "duplicates another module named '\(module.name)'")
            }
            if let path = module.path { validator.check("\(prefix).path", path, .kernelPath) }
            if module.parameters.count > maxParameters {
                validator.fail("\(prefix).parameters", "must have at most \(maxParameters) entries")
            }
            for (key, value) in module.parameters.sorted(by: { $0.key < $1.key }) {
                validator.check("\(prefix).parameters", key, .parameterName)
                if let problem = value.problem { validator.fail("\(prefix).parameters.\(key)", problem) }
                // A parameter named CONFIG_X becomes a Kconfig assignment (KconfigFragment).
                if key.hasPrefix("CONFIG_"), case .string(let text) = value,
                   let problem = KconfigAssignment.problem(symbol: key.dropFirst(7), value: "\"\(text)\"") {
                    validator.fail("\(prefix).parameters.\(key)", problem)
                }
            }
        }
    }
}
