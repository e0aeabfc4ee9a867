import FarmModel
import Foundation

/// The parameters a module's C sources declare: every `module_param*(…)`
/// variant with its name and type, and `MODULE_PARM_DESC(name, "…")`.
enum ModuleParameterScanner {
    /// For each variant, which argument is the type (nil: a fixed type) and how it reads.
    private static let variants: [String: (typeArgument: Int?, fixed: String?, array: Bool)] = [
        "": (1, nil, false), "_unsafe": (1, nil, false), "_named": (2, nil, false), "_named_unsafe": (2, nil, false),
        "_array": (1, nil, true), "_array_named": (2, nil, true), "_array_unsafe": (1, nil, true),
        "_string": (nil, "string", false), "_cb": (nil, "custom", false), "_cb_unsafe": (nil, "custom", false),
        "_hw": (1, nil, false), "_hw_named": (2, nil, false), "_hw_array": (1, nil, true),
    ]

    static func parameters(in source: String) -> [KernelModuleParameter] {
        var found: [KernelModuleParameter] = []
        var descriptions: [String: String] = [:]
        for (name, arguments) in calls(of: "module_param", in: source) {
            guard let variant = variants[name], let parameter = arguments.first, KconfigAssignment.isSymbol(parameter) else { continue }
            let type: String
            if let index = variant.typeArgument {
                guard index < arguments.count else { continue }
                type = (variant.array ? "array of " : "") + arguments[index]
            } else {
                type = variant.fixed ?? "custom"
            }
            found.append(KernelModuleParameter(name: parameter, type: String(type.prefix(64))))
        }
        for (name, arguments) in calls(of: "MODULE_PARM_DESC", in: source) where name.isEmpty && arguments.count >= 2 {
            descriptions[arguments[0]] = literal(arguments[1...].joined(separator: ","))
        }
        var seen: Set<String> = []
        return found.filter { seen.insert($0.name).inserted }.map { parameter in
            var described = parameter
            described.description = descriptions[parameter.name].map { String($0.prefix(KernelModuleCatalog.maxText)) }
            return described
        }
    }

    /// `prefix<suffix>(a, b, …)` calls: the suffix and the top-level arguments, trimmed.
    static func calls(of prefix: String, in source: String) -> [(String, [String])] {
        var calls: [(String, [String])] = []
        var rest = source[...]
        while let found = rest.range(of: prefix) {
            rest = rest[found.upperBound...]
            let suffix = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            var cursor = rest.dropFirst(suffix.count).drop { $0 == " " || $0 == "\t" }
            guard cursor.first == "(" else { continue }
            cursor = cursor.dropFirst()
            var arguments: [String] = []
            var current = ""
            var depth = 0
            var inString = false
            var closed = false
            for character in cursor.prefix(2000) {
                if inString {
                    current.append(character)
                    if character == "\"" { inString = false }
                    continue
                }
                switch character {
                case "\"": inString = true; current.append(character)
                case "(": depth += 1; current.append(character)
                case ")" where depth == 0: closed = true
                case ")": depth -= 1; current.append(character)
                case "," where depth == 0: arguments.append(current.trimmingCharacters(in: .whitespacesAndNewlines)); current = ""
                default: current.append(character)
                }
                if closed { break }
            }
            guard closed else { continue }
            arguments.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
            calls.append((String(suffix), arguments))
        }
        return calls
    }

    /// The text of adjacent C string literals (`"a" "b"` → `ab`), whitespace between them dropped.
    private static func literal(_ text: String) -> String {
        var result = ""
        var inString = false
        var escaped = false
        for character in text {
            if inString {
                if escaped { result.append(character == "n" ? " " : character); escaped = false }
                else if character == "\\" { escaped = true }
                else if character == "\"" { inString = false }
                else { result.append(character) }
            } else if character == "\"" {
                inString = true
            }
        }
        return result.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
