/// An out-of-tree kernel module a configuration builds against each of its
/// kernels: `make M=` with the kernel just built, installed under
/// `lib/modules/<release>/extra/` in the artifact and loaded by the boot
/// test. Its repository builds `<name>.ko`; the farm fetches it only when
/// its administrator allows the URL, as for kernels from git.
public struct ExternalModule: Codable, Sendable, Equatable {
    public var name: String
    public var git: String
    public var ref: String

    public init(name: String, git: String, ref: String) {
        self.name = name
        self.git = git
        self.ref = ref
    }

    public var source: GitSource { GitSource(git: git, ref: ref) }

    public static let maxCount = 16

    static func validate(_ modules: [ExternalModule], field: String, into validator: inout Validator) {
        if modules.count > maxCount { validator.fail(field, "must list at most \(maxCount) modules") }
        for (index, module) in modules.enumerated() {
            validator.check("\(field)[\(index)].name", module.name, .moduleName)
            if modules[..<index].contains(where: { $0.name == module.name }) {
                validator.fail("\(field)[\(index)].name", "duplicates another external module named '\(module.name)'")
            }
            module.source.validate(field: "\(field)[\(index)]", into: &validator)
        }
    }
}

/// An external module as a build used it: its source and the commit its ref named.
public struct ExternalModuleSource: Codable, Sendable, Equatable {
    public var name: String
    public var git: String
    public var ref: String
    public var commit: String

    public init(name: String, source: BuildSource) {
        self.name = name
        git = source.git
        ref = source.ref
        commit = source.commit
    }
}

extension GitAllowList {
    /// Refuses well-formed external modules' repositories this farm does not fetch.
    public func require(externalModules modules: [ExternalModule]?, field: String = "externalModules") throws(ValidationError) {
        for (index, module) in (modules ?? []).enumerated() {
            try require(module.source, field: "\(field)[\(index)]")
        }
    }
}
