import Crypto
import FarmMachine
import FarmModel
import Foundation

/// What a kernel artifact is made from, hashed into the build cache's keys:
/// two builds with equal inputs produce interchangeable artifacts. The
/// configuration part is known twice: before Kconfig runs, as the plan (base
/// version, modules, parameters) and the recipe's Kconfig data (the plan
/// key: a repeated submit is answered before anything runs); after it, as
/// the final .config (the input key: another plan that comes out the same
/// reuses the artifact too).
struct BuildInputs: Encodable {
    /// Bump when packaging changes what an artifact holds: older artifacts stop matching.
    let schema = "kfarm.build.inputs/3"
    let source: String
    let configuration: String
    let architecture: Architecture
    let toolchain: String
    /// The toolchain's make variables, e.g. `LLVM=-16`.
    let make: [String: String]
    let imageTarget: String
    let debugSymbols: Bool
    let optimizationLevel: OptimizationLevel?

    init(source: String, configuration: String, toolchain: InstalledToolchain, options: BuildOptions) {
        self.source = source
        self.configuration = configuration
        architecture = toolchain.architecture
        // The exact compiler: another build of the same version (a distribution's revision) is another input.
        self.toolchain = toolchain.banner
        make = toolchain.makeVariables
        imageTarget = toolchain.target.imageTarget
        debugSymbols = options.debugSymbols
        optimizationLevel = options.optimizationLevel
    }

    /// `config sha256:<final .config>`.
    static func finalConfig(sha256: String) -> String {
        "config sha256:\(sha256)"
    }

    /// `plan sha256:<…>` over the plan (base version, base configuration,
    /// modules without their ids, which differ between versions) and the
    /// Kconfig lines the recipe adds.
    static func plan(_ plan: BuildPlan, recipeLines: [String]) throws -> String {
        struct Module: Encodable {
            let name: String, path: String?, isBuiltin: Bool, isRequired: Bool, parameters: [String: ModuleParameter]
        }
        struct Plan: Encodable {
            let baseVersion: String, baseConfig: BaseConfig, storedConfig: String?, modules: [Module], recipeLines: [String]
        }
        let modules = plan.modules.map {
            Module(name: $0.name, path: $0.path, isBuiltin: $0.isBuiltin, isRequired: $0.isRequired, parameters: $0.parameters)
        }
        return "plan sha256:" + (try hash(Plan(baseVersion: plan.baseVersion, baseConfig: plan.baseConfig,
                                              storedConfig: plan.storedConfig, modules: modules, recipeLines: recipeLines)))
    }

    /// sha256 of the inputs' canonical JSON (sorted keys), hex.
    func key() throws -> String {
        try Self.hash(self)
    }

    private static func hash(_ value: some Encodable) throws -> String {
        ContentHash.hex(SHA256.hash(data: try ArtifactProvenance.canonicalEncoder().encode(value)))
    }
}
