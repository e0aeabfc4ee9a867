import Foundation

/// A parameter a module declares in its sources (`module_param*`), with
/// its `MODULE_PARM_DESC` when it has one.
public struct KernelModuleParameter: Codable, Sendable, Equatable {
    public var name: String
    /// `int`, `bool`, `charp`, `array of int`…: as `module_param` names it.
    public var type: String
    @ExplicitNull public var description: String?

    public init(name: String, type: String, description: String? = nil) {
        self.name = name
        self.type = type
        self.description = description
    }
}

/// One module or feature of a kernel series as its tree declares it: the
/// name people write (`ext4`, `crc-ccitt`), where it lives, the Kconfig
/// symbol that builds it and what that symbol needs.
public struct KernelModuleInfo: Codable, Sendable, Equatable {
    public var name: String
    /// The module's directory or file stem in the tree: `fs/ext4`, `drivers/net/dummy`.
    public var path: String
    /// Without `CONFIG_`: `EXT4_FS`.
    public var symbol: String
    /// `tristate` (built in or loadable) or `bool` (built in only).
    public var type: String
    @ExplicitNull public var prompt: String?
    /// Its `depends on` expressions and the `if` blocks around its entry: `["BLOCK"]`.
    public var dependsOn: [String]
    public var parameters: [KernelModuleParameter]

    public init(name: String, path: String, symbol: String, type: String, prompt: String?, dependsOn: [String],
                parameters: [KernelModuleParameter]) {
        self.name = name
        self.path = path
        self.symbol = symbol
        self.type = type
        self.prompt = prompt
        self.dependsOn = dependsOn
        self.parameters = parameters
    }

    /// Whether it can be a loadable module (`=m`).
    public var isLoadable: Bool { type == "tristate" }

    /// The kernel treats `-` and `_` in module names alike (`crc-ccitt` is loaded as `crc_ccitt`).
    public static func canonical(_ name: String) -> String {
        String(name.map { $0 == "-" ? "_" : $0 })
    }
}

/// A kernel series' module index, read by a worker from the tree it builds
/// and published to the farm once per series (`PUT /kernels/{series}/catalog`).
public struct KernelModuleCatalog: Codable, Sendable, Equatable {
    public static let schema = "kfarm.kernel.catalog/1"
    /// Linux 6.1 has about 6,000; the bounds keep a hostile upload small.
    public static let maxModules = 30_000
    public static let maxParameters = 256
    public static let maxText = 500

    public var schema: String
    public var series: String
    public var modules: [KernelModuleInfo]

    public init(series: String, modules: [KernelModuleInfo]) {
        self.schema = Self.schema
        self.series = series
        self.modules = modules
    }

    /// The module `name` is known by (as the farm matches names: `ModuleResolution.key`), if any.
    public func module(named name: String) -> KernelModuleInfo? {
        let wanted = ModuleResolution.key(name)
        return modules.first { ModuleResolution.key($0.name) == wanted }
    }

    /// Every field within its rule, names unique; what a worker sends is held to it before it is stored.
    public func validate() throws(ValidationError) {
        var validator = Validator()
        if schema != Self.schema { validator.fail("schema", "must be \(Self.schema)") }
        if !KernelSeries.isValid(series) { validator.fail("series", "must be a kernel series such as 6.1") }
        if modules.count > Self.maxModules { validator.fail("modules", "must have at most \(Self.maxModules) entries") }
        var seen: Set<String> = []
        for (index, module) in modules.enumerated() {
            let field = "modules[\(index)]"
            validator.check("\(field).name", module.name, .moduleName)
            if !seen.insert(ModuleResolution.key(module.name)).inserted {
                validator.fail("\(field).name", "duplicates another module named '\(module.name)'")
            }
            validator.check("\(field).path", module.path, .kernelPath)
            if !KconfigAssignment.isSymbol(module.symbol) { validator.fail("\(field).symbol", "must be a Kconfig symbol") }
            if !["tristate", "bool"].contains(module.type) { validator.fail("\(field).type", "must be tristate or bool") }
            if module.parameters.count > Self.maxParameters {
                validator.fail("\(field).parameters", "must have at most \(Self.maxParameters) entries")
            }
            let texts = [module.prompt ?? ""] + module.dependsOn
                + module.parameters.flatMap { [$0.name, $0.type, $0.description ?? ""] }
            if module.dependsOn.count > 64 || texts.contains(where: { $0.unicodeScalars.count > Self.maxText }) {
                validator.fail(field, "has a text over \(Self.maxText) characters or over 64 conditions")
            }
        }
        try validator.finish()
    }
}

/// A kernel series on offer (`GET /kernels`): the workers that build it
/// now, what they build it for, and its module catalog when published.
public struct KernelSeriesOffer: Codable, Sendable, Equatable {
    public var series: String
    public var architectures: [Architecture]
    /// Each architecture's compilers, as the workers registered them.
    public var toolchains: [Toolchain]
    /// Registered workers that are not offline.
    public var workers: Int
    /// How many modules its catalog has; 0 until a worker published it.
    public var modules: Int
    @ExplicitNull public var catalogPublishedAt: Date?

    public init(series: String, architectures: [Architecture], toolchains: [Toolchain], workers: Int, modules: Int,
                catalogPublishedAt: Date?) {
        self.series = series
        self.architectures = architectures
        self.toolchains = toolchains
        self.workers = workers
        self.modules = modules
        self.catalogPublishedAt = catalogPublishedAt
    }
}
