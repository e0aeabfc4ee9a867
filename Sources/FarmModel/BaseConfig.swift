/// What a kernel configuration starts from before its modules and options
/// are merged in: Kconfig's `tinyconfig` (the default) or `defconfig`, or a
/// full .config stored with the configuration.
public enum BaseConfig: String, CaseIterable, Codable, Sendable {
    case tinyconfig, defconfig, stored

    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}

/// A stored full .config: Kconfig's own lines only (`CONFIG_X=value`,
/// `# CONFIG_X is not set`, comments, blank lines), each assignment one
/// `KconfigAssignment` allows, and bounded in size. Nothing in it can be
/// more than a Kconfig assignment.
public enum StoredConfigRule {
    public static let maxBytes = 512 * 1024

    public static let rule = FieldRule { text in
        guard text.utf8.count <= maxBytes else { return "must be at most \(maxBytes / 1024) KiB" }
        guard text.contains("CONFIG_") else { return "must be a kernel .config (CONFIG_… lines)" }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let problem = problem(with: line) { return "line \(index + 1): \(problem)" }
        }
        return nil
    }

    private static func problem(with line: Substring) -> String? {
        if line.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        if line.isEmpty || line.hasPrefix("#") { return nil }
        guard line.hasPrefix("CONFIG_"), let equals = line.firstIndex(of: "=") else {
            return "must be CONFIG_SYMBOL=value, a # comment or blank"
        }
        return KconfigAssignment.problem(symbol: line[line.index(line.startIndex, offsetBy: 7)..<equals],
                                         value: line[line.index(after: equals)...])
    }
}
