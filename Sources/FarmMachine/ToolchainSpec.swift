import FarmModel
import Foundation

/// A compiler as its data file in `workers/toolchains/` describes it: how
/// to find its version and what `make` needs to build a kernel with it,
/// for each architecture it builds. `{crossCompile}` in `executable` and
/// `make` stands for the architecture's GNU prefix. Adding a compiler is
/// adding a file.
public struct ToolchainSpec: Codable, Sendable, Equatable {
    /// The name builds ask for in `options.compilerVersion`: `gcc`, `clang`.
    public var compiler: String
    /// The compiler's command, e.g. `{crossCompile}gcc-12`, `clang-16`; make gets it as `CC`.
    public var executable: String
    /// What makes the compiler print its whole version alone, e.g. `-dumpfullversion`.
    public var versionArguments: [String]
    /// Variables for every `make` of a build, e.g. `CROSS_COMPILE={crossCompile}` or `LLVM=-16`.
    public var make: [String: String]
    /// Other programs the toolchain runs, e.g. `ld.lld-16`: the probe requires them too.
    public var requires: [String]
    public var architectures: [Architecture]

    /// Variables the worker sets itself (the compiler, the architecture, the output directory).
    static let reservedVariables: Set = ["CC", "ARCH", "O", "HOSTCC"]

    /// The only placeholder a template may hold.
    static let placeholder = "{crossCompile}"

    /// `template` for `target`.
    public func expanded(_ template: String, for target: ArchitectureSpec) -> String {
        template.replacingOccurrences(of: Self.placeholder, with: target.crossCompile)
    }

    /// Every `*.json` in `directory`; a template with another placeholder is refused.
    public static func load(from directory: URL) throws -> [ToolchainSpec] {
        try DataFiles.load(ToolchainSpec.self, from: directory) { spec in
            for key in spec.make.keys where key.wholeMatch(of: /[A-Z_][A-Z0-9_]*/) == nil || reservedVariables.contains(key) {
                throw MachineError.configuration("make variable \(key): a variable name, not one the worker sets (\(reservedVariables.sorted().joined(separator: ", ")))")
            }
            for template in [spec.executable] + spec.make.values + spec.requires {
                let rest = template.replacingOccurrences(of: placeholder, with: "")
                if rest.contains("{") || rest.contains("}") {
                    throw MachineError.configuration("\(template): the only placeholder is \(placeholder)")
                }
            }
            guard CompilerRequest(spec.compiler)?.version == [] else {
                throw MachineError.configuration("compiler \(spec.compiler) must be a name such as gcc or clang")
            }
        }
    }
}
