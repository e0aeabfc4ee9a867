/// What a kernel build found and did on its own while settling its
/// configuration: the Kconfig symbols it enabled because a requested one
/// depends on them, and warnings (an optional module that could not be
/// built, a parameter kept but not applied). Shown on the build
/// (`GET /builds/{id}`) and written into the artifact's metadata.
public struct BuildFindings: Codable, Sendable, Equatable {
    /// `BLOCK=y for EXT4_FS (module ext4)`.
    public struct EnabledSymbol: Codable, Sendable, Equatable, CustomStringConvertible {
        /// Without `CONFIG_`.
        public var symbol: String
        public var value: String
        /// The symbol whose `depends on` needed it.
        public var neededBy: String
        /// Who asked for `neededBy`: `module ext4`, `boot.config`.
        public var origin: String

        public init(symbol: String, value: String, neededBy: String, origin: String) {
            self.symbol = symbol
            self.value = value
            self.neededBy = neededBy
            self.origin = origin
        }

        public var description: String { "\(symbol)=\(value) for \(neededBy) (\(origin))" }
    }

    public var enabledDependencies: [EnabledSymbol]
    public var warnings: [String]

    public init(enabledDependencies: [EnabledSymbol] = [], warnings: [String] = []) {
        self.enabledDependencies = enabledDependencies
        self.warnings = warnings
    }

    public var isEmpty: Bool { enabledDependencies.isEmpty && warnings.isEmpty }

    /// Bounds what a worker can make the farm store for one build.
    public static let maxEntries = 500

    /// Every text it holds.
    public var strings: [String] {
        warnings + enabledDependencies.flatMap { [$0.symbol, $0.value, $0.neededBy, $0.origin] }
    }

    public var isWellFormed: Bool {
        enabledDependencies.count <= Self.maxEntries && warnings.count <= Self.maxEntries
            && warnings.allSatisfy { $0.utf8.count <= 2000 }
            && enabledDependencies.allSatisfy { KconfigAssignment.isSymbol($0.symbol) && KconfigAssignment.isSymbol($0.neededBy)
                && $0.value.utf8.count <= 200 && $0.origin.utf8.count <= 200 }
    }
}
