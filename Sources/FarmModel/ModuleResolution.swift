/// Module names resolved against a kernel series' catalog when a
/// configuration's modules are written: a known name gets its path, and
/// what the catalog contradicts is refused naming the field. Without a
/// catalog nothing is resolved here (the worker resolves at build time).
public struct ModuleResolution: Sendable {
    public let series: String
    /// The catalog's entries for the names asked, by `key`.
    private let entries: [String: KernelModuleInfo]
    /// Every name in the catalog, to suggest from; needed only when `needsCatalogNames(for:)`.
    public var catalogNames: [String] = []

    /// How many close names an unknown one is answered with.
    public static let maxSuggestions = 5

    public init(series: String, entries: [KernelModuleInfo]) {
        self.series = series
        self.entries = Dictionary(entries.map { (Self.key($0.name), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The catalog's key for a name: case, `-` and `_` do not matter (`CRC-CCITT` is `crc_ccitt`).
    public static func key(_ name: String) -> String {
        KernelModuleInfo.canonical(name).lowercased()
    }

    /// Whether some module is unknown and has no path, so its error needs the catalog's names.
    public func needsCatalogNames(for specs: [ModuleSpec]) -> Bool {
        specs.contains { entries[Self.key($0.name)] == nil && $0.path == nil }
    }

    /// The modules with their catalog paths filled in, or every contradiction found.
    public func resolve(_ specs: [ModuleSpec], field: String) throws(ValidationError) -> [ModuleSpec] {
        var validator = Validator()
        let resolved = specs.enumerated().map { index, spec in
            resolve(spec, field: "\(field)[\(index)]", into: &validator)
        }
        try validator.finish()
        return resolved
    }

    private func resolve(_ spec: ModuleSpec, field: String, into validator: inout Validator) -> ModuleSpec {
        guard let entry = entries[Self.key(spec.name)] else {
            // A name the catalog lacks is built as given when its path says where it is.
            if spec.path == nil {
                let closest = suggestions(for: spec.name)
                validator.fail("\(field).name", "is not in the module catalog of Linux \(series)"
                    + (closest.isEmpty ? "" : "; closest: \(closest.joined(separator: ", "))")
                    + "; give its path to build it anyway")
            }
            return spec
        }
        var resolved = spec
        if let path = spec.path, path != entry.path {
            validator.fail("\(field).path", "Linux \(series) has \(entry.name) at \(entry.path)")
        }
        resolved.path = entry.path
        if !spec.isBuiltin && !entry.isLoadable {
            validator.fail("\(field).isBuiltin", "\(entry.symbol) is a bool option in Linux \(series): it can only be built in (true)")
        }
        // An optional module keeps what it does not declare; the build warns that it was not applied.
        if spec.isRequired {
            let declared = entry.parameters.map(\.name)
            for key in spec.parameters.keys.sorted() where !key.hasPrefix("CONFIG_") && !declared.contains(key) {
                validator.fail("\(field).parameters.\(key)", "is not a parameter of \(entry.name); it declares "
                    + (declared.isEmpty ? "none" : declared.sorted().joined(separator: ", ")))
            }
        }
        return resolved
    }

    /// The catalog names closest to `name`: by edit distance over keys, and those containing it or contained in it.
    public func suggestions(for name: String) -> [String] {
        let wanted = Self.key(name)
        let tolerance = max(2, wanted.utf8.count / 3)
        let ranked = catalogNames.compactMap { candidate -> (distance: Int, name: String)? in
            let key = Self.key(candidate)
            let distance = Self.editDistance(Array(wanted.utf8), Array(key.utf8))
            let overlaps = min(wanted.utf8.count, key.utf8.count) >= 3 && (key.contains(wanted) || wanted.contains(key))
            return distance <= tolerance || overlaps ? (distance, candidate) : nil
        }
        return ranked.sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }.prefix(Self.maxSuggestions).map(\.name)
    }

    /// Levenshtein distance, one row at a time.
    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
