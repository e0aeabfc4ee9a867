/// What a kernel configuration starts from before its modules and options
/// are merged in: Kconfig's `tinyconfig` (the default) or `defconfig`, or a
/// full .config stored with the configuration.
public enum BaseConfig: String, CaseIterable, Codable, Sendable {
    case tinyconfig, defconfig, stored

    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}

/// A stored full .config: Kconfig's own lines only (`CONFIG_X=value`,
/// `# CONFIG_X is not set`, comments, blank lines), values Kconfig writes
/// (y/m/n, numbers, quoted strings without a raw quote), and bounded in
/// size. Nothing in it can be more than a Kconfig assignment.
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
        let symbol = line[line.index(line.startIndex, offsetBy: 7)..<equals]
        guard !symbol.isEmpty, symbol.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { return "\(symbol) is not a Kconfig symbol name" }
        let value = line[line.index(after: equals)...]
        if ["y", "m", "n"].contains(value) || Int(value) != nil { return nil }
        if value.hasPrefix("0x"), UInt64(value.dropFirst(2), radix: 16) != nil { return nil }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            // Kconfig escapes quotes and backslashes inside strings.
            var escaped = false
            for character in value.dropFirst().dropLast() {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" {
                    return "CONFIG_\(symbol) has a quote inside its string"
                }
            }
            return escaped ? "CONFIG_\(symbol) ends its string with a lone backslash" : nil
        }
        return "CONFIG_\(symbol) has a value Kconfig does not write: \(value.prefix(40))"
    }
}
