import FarmModel

/// The Kconfig lines a build asks for on top of its base configuration: the
/// boot symbols, each module's symbol (`=y` built in, `=m` loadable), its
/// parameters that name Kconfig options, built-in modules' other parameters
/// as the built-in command line, and the build options. Rendered as
/// a fragment for `merge_config.sh`, and checked against the final .config
/// after `olddefconfig` (Kconfig drops what has unmet dependencies). Every
/// assignment is held to `KconfigAssignment`, so nothing can add lines of
/// its own or make the build read host files.
public struct KconfigFragment: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Without the `CONFIG_` prefix.
        public var symbol: String
        /// As .config writes it: `y`, `m`, `n`, a number or a quoted string.
        public var value: String
        /// Whether the build fails when Kconfig does not keep it.
        public var required: Bool
        /// Who asked for it, for error messages: `module ext4`, `options.debugSymbols`.
        public var origin: String
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// `CONFIG_X=value` lines of a data file (`#` comments and blank lines skipped); all required.
    public mutating func add(lines: [String], origin: String) throws {
        for line in lines.map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty && !line.hasPrefix("#") {
            guard line.hasPrefix("CONFIG_"), let equals = line.firstIndex(of: "=") else {
                throw CheckFailed("\(origin): \(line) is not a CONFIG_SYMBOL=value line")
            }
            try set(String(line[line.index(line.startIndex, offsetBy: 7)..<equals]), String(line[line.index(after: equals)...]),
                    required: true, origin: origin)
        }
    }

    /// Each module's symbol, and its parameters that name Kconfig options.
    public mutating func add(_ modules: [ConfigModule], symbols: KbuildSymbols) throws {
        for module in modules {
            let origin = "module \(module.name)"
            guard let path = module.path else {
                throw CheckFailed("\(origin) has no path: give its directory in the kernel tree (e.g. fs/ext4)")
            }
            try set(try symbols.symbol(forModuleAt: path), module.isBuiltin ? "y" : "m", required: module.isRequired,
                    origin: origin)
            // Other parameters are the module's own (ModuleParameterDefaults).
            for (key, parameter) in module.parameters.sorted(by: { $0.key < $1.key }) where key.hasPrefix("CONFIG_") {
                try set(String(key.dropFirst(7)), try Self.value(of: parameter, for: key, origin: origin),
                        required: module.isRequired, origin: origin)
            }
        }
        if modules.contains(where: { !$0.isBuiltin }) {
            try set("MODULES", "y", required: true, origin: "loadable modules")
            try set("MODULE_UNLOAD", "y", required: true, origin: "loadable modules")
        }
    }

    /// Built-in modules' parameter defaults as the kernel command line built
    /// into the image, with the architecture's symbols that make it a default
    /// (`commandLineConfig` in its toolchain file).
    public mutating func add(commandLine words: [String], architectureLines: [String], architecture: String) throws {
        guard !words.isEmpty else { return }
        try set("CMDLINE", "\"\(words.joined(separator: " "))\"", required: true, origin: "built-in modules' parameters")
        try add(lines: architectureLines, origin: "\(architecture) commandLineConfig")
    }

    /// `debugSymbols` and `optimizationLevel` as the kernel's own choices
    /// (`-O3` is `-O2` here and `KCFLAGS=-O3` on make's command line: Kconfig has no -O3).
    public mutating func add(_ options: BuildOptions) throws {
        if options.debugSymbols {
            try set("DEBUG_KERNEL", "y", required: true, origin: "options.debugSymbols")
            try set("DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT", "y", required: true, origin: "options.debugSymbols")
            try set("DEBUG_INFO", "y", required: true, origin: "options.debugSymbols")
        }
        guard let level = options.optimizationLevel else { return }  // the base's choice (tinyconfig: -Os)
        // Submits are checked already; this guards builds queued before that check.
        if let problem = level.problem { throw CheckFailed("options.optimizationLevel \(level): \(problem)") }
        try set(level == .size ? "CC_OPTIMIZE_FOR_SIZE" : "CC_OPTIMIZE_FOR_PERFORMANCE", "y", required: true,
                origin: "options.optimizationLevel")
    }

    /// Adds `symbol=y` because `entry` depends on it, as required as
    /// `entry` is and in its name; false when the fragment already sets it
    /// (to anything: a conflict is Kconfig's to report).
    mutating func enable(_ symbol: String, for entry: Entry) -> Bool {
        guard !entries.contains(where: { $0.symbol == symbol }) else { return false }
        entries.append(Entry(symbol: symbol, value: "y", required: entry.required, origin: entry.origin))
        return true
    }

    /// The fragment file's text.
    public var text: String {
        entries.map { "CONFIG_\($0.symbol)=\($0.value)\n" }.joined()
    }

    /// The entries whose value the final configuration does not have.
    public func dropped(from configuration: DotConfig) -> [Entry] {
        entries.filter { configuration.value(of: $0.symbol) != $0.value }
    }

    private mutating func set(_ symbol: String, _ value: String, required: Bool, origin: String) throws {
        if let problem = KconfigAssignment.problem(symbol: symbol, value: value) { throw CheckFailed("\(origin): \(problem)") }
        if let index = entries.firstIndex(where: { $0.symbol == symbol }) {
            guard entries[index].value == value else {
                throw CheckFailed("CONFIG_\(symbol) is asked to be \(entries[index].value) (\(entries[index].origin)) "
                                  + "and \(value) (\(origin))")
            }
            entries[index].required = entries[index].required || required
            return
        }
        entries.append(Entry(symbol: symbol, value: value, required: required, origin: origin))
    }

    private static func value(of parameter: ModuleParameter, for key: String, origin: String) throws -> String {
        switch parameter {
        case .bool(let flag): return flag ? "y" : "n"
        case .integer(let number): return String(number)
        case .string(let text): return "\"\(text)\""  // checked with the rest by `set`
        default:
            throw CheckFailed("\(origin): parameter \(key) must be a boolean, an integer or a string to become a Kconfig value")
        }
    }
}
