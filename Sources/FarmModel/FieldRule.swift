/// A rule a text field must follow. Names and paths that later reach a
/// shell, a Makefile or a Kconfig fragment are held to strict alphabets.
public struct FieldRule: Sendable {
    private let evaluate: @Sendable (String) -> String?

    public init(problem: @escaping @Sendable (String) -> String?) {
        self.evaluate = problem
    }

    /// What is wrong with `value`, or nil when it follows the rule.
    public func problem(with value: String) -> String? { evaluate(value) }

    /// Human text (names, descriptions): no control characters, bounded
    /// length. Lengths count Unicode code points, as JSON Schema does.
    public static func text(maxLength: Int, allowEmpty: Bool = false) -> FieldRule {
        FieldRule { value in
            let scalars = value.unicodeScalars
            if !allowEmpty && scalars.allSatisfy(\.properties.isWhitespace) { return "must not be empty" }
            if scalars.count > maxLength { return "must be at most \(maxLength) characters" }
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                return "must not contain control characters"
            }
            return nil
        }
    }

    /// A kernel version the configuration starts from, e.g. `6.1` or `6.1.0`.
    public static let kernelVersion = FieldRule { value in
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        let valid = (2...3).contains(parts.count)
            && parts.allSatisfy { !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isASCIIDigit) }
        return valid ? nil : "must be a kernel version such as 6.1 or 6.1.0"
    }

    /// A kernel module name: what `modprobe` and Kbuild accept.
    public static let moduleName = FieldRule { value in
        guard (1...64).contains(value.unicodeScalars.count) else { return "must be 1 to 64 characters" }
        let valid = value.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" }
            && value.first != "-"
        return valid ? nil : "may contain only letters, digits, '_' and '-', and must not start with '-'"
    }

    /// A directory inside the kernel tree, e.g. `fs/ext4`: relative, no `.`
    /// or `..` segments, no characters a shell or Makefile would interpret.
    public static let kernelPath = FieldRule { value in
        guard (1...255).contains(value.unicodeScalars.count) else { return "must be 1 to 255 characters" }
        if value.hasPrefix("/") { return "must be relative to the kernel source tree" }
        let segments = value.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            if segment.isEmpty { return "must not contain empty segments" }
            if segment == "." || segment == ".." { return "must not contain '.' or '..' segments" }
            let safe = segment.unicodeScalars.allSatisfy {
                $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" || $0 == "." || $0 == "+"
            }
            if !safe { return "may contain only letters, digits, '_', '-', '.', '+' and '/'" }
        }
        return nil
    }

    /// A string parameter value that will be written into a Kconfig fragment
    /// or a module command line: printable ASCII without what make or a
    /// shell would interpret (`KconfigAssignment.forbiddenInStrings`).
    public static let kconfigValue = FieldRule { value in
        guard value.unicodeScalars.count <= 256 else { return "must be at most 256 characters" }
        let valid = value.unicodeScalars.allSatisfy {
            (0x20...0x7E).contains($0.value) && !KconfigAssignment.forbiddenInStrings.contains($0)
        }
        return valid ? nil : "may contain only printable ASCII without \(KconfigAssignment.forbiddenList)"
    }

    /// A module parameter name: a C identifier, as Kconfig and modinfo use.
    public static let parameterName = FieldRule { value in
        guard (1...64).contains(value.unicodeScalars.count) else { return "must be 1 to 64 characters" }
        let valid = value.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" }
            && !(value.first?.isASCIIDigit ?? false)
        return valid ? nil : "must be an identifier (letters, digits, '_'; not starting with a digit)"
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
