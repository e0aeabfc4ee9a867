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
    public var architectures: [Architecture]

    /// The only placeholder a template may hold.
    static let placeholder = "{crossCompile}"

    /// `template` for `target`.
    public func expanded(_ template: String, for target: ArchitectureSpec) -> String {
        template.replacingOccurrences(of: Self.placeholder, with: target.crossCompile)
    }

    /// Every `*.json` in `directory`; a template with another placeholder is refused.
    public static func load(from directory: URL) throws -> [ToolchainSpec] {
        try DataFiles.load(ToolchainSpec.self, from: directory) { spec in
            for template in [spec.executable] + spec.make.values {
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
