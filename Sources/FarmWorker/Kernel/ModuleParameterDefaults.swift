import FarmModel
import Foundation

/// Module parameters that are not Kconfig options become the module's own
/// parameter defaults, once the module's source shows it declares them
/// (`module_param(name, …)` and its variants): a built-in module's on the
/// kernel command line built into the image (`CONFIG_CMDLINE`, which the
/// boot loader's arguments still override), a loadable module's in
/// `etc/modprobe.d/kfarm.conf` inside the artifact. Any other key of a
/// required module is refused naming the parameters the module has; an
/// optional module's is kept with the configuration, not applied, and
/// becomes a warning.
struct ModuleParameterDefaults: Equatable {
    /// `module.parameter=value` words.
    var commandLine: [String] = []
    /// `options module parameter=value …` lines.
    var modprobe: [String] = []
    /// Optional modules' parameters that were not applied.
    var warnings: [String] = []

    static let modprobeFile = "etc/modprobe.d/kfarm.conf"

    init(_ modules: [ConfigModule], tree: URL) throws {
        for module in modules {
            let given = module.parameters.filter { !$0.key.hasPrefix("CONFIG_") }.sorted { $0.key < $1.key }
            guard !given.isEmpty, let path = module.path else { continue }
            let name = Self.moduleName(path)
            let declared = Self.declaredParameters(at: path, in: tree)
            var words: [String] = []
            for (key, value) in given {
                guard declared.contains(key) else {
                    let problem = "module \(module.name): parameter \(key) is neither a Kconfig option (CONFIG_…) nor a "
                        + "parameter \(path) declares (module_param); it has: "
                        + (declared.isEmpty ? "none" : declared.sorted().joined(separator: ", "))
                    guard !module.isRequired else { throw CheckFailed(problem) }
                    warnings.append(problem + "; kept with the configuration, not applied")
                    continue
                }
                words.append("\(key)=\(try Self.text(of: value, for: key, module: module.name))")
            }
            if words.isEmpty {
                continue
            } else if module.isBuiltin {
                commandLine += words.map { "\(name).\($0)" }
            } else {
                modprobe.append((["options", name] + words).joined(separator: " "))
            }
        }
    }

    /// The name the kernel knows the module by: the path's last part, `-` as `_` (`lib/crc-ccitt` → `crc_ccitt`).
    static func moduleName(_ path: String) -> String {
        String((path.split(separator: "/").last ?? "").map { $0 == "-" ? "_" : $0 })
    }

    /// Parameter names declared by `module_param…(name, …)` in the module's C files (`ModuleSources`).
    static func declaredParameters(at path: String, in tree: URL) -> Set<String> {
        var sources = ModuleSources(tree: tree)
        return Set(sources.parameters(at: path).map(\.name))
    }

    /// The value as the kernel's parameter parser reads it: no spaces or quotes.
    private static func text(of value: ModuleParameter, for key: String, module: String) throws -> String {
        switch value {
        case .bool(let flag): return flag ? "1" : "0"
        case .integer(let number): return String(number)
        case .number(let number): return String(number)
        case .string(let text) where !text.isEmpty && text.unicodeScalars.allSatisfy(isSafe): return text
        case .list(let values): return try values.map { try Self.text(of: $0, for: key, module: module) }.joined(separator: ",")
        default:
            throw CheckFailed("module \(module): parameter \(key) must be a boolean, a number, a list, or a string of "
                              + "letters, digits and ._:/+-@ to become a module parameter default")
        }
    }

    private static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._:/+-@".unicodeScalars.contains(scalar))
    }
}
