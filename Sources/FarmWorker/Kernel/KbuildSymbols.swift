import FarmModel
import Foundation

/// Finds the Kconfig symbol that builds a module, from the kernel tree's
/// Kbuild Makefiles: `fs/ext4` is built by `obj-$(CONFIG_EXT4_FS) += ext4/`
/// in `fs/Makefile`; `drivers/net/dummy` by `obj-$(CONFIG_DUMMY) += dummy.o`
/// in `drivers/net/Makefile`.
public struct KbuildSymbols: Sendable {
    public let tree: URL

    public init(tree: URL) {
        self.tree = tree
    }

    /// The symbol (without `CONFIG_`) for a module at `path` in the tree.
    public func symbol(forModuleAt path: String) throws -> String {
        let parts = path.split(separator: "/").map(String.init)
        guard let leaf = parts.last, !parts.contains(".."), !path.hasPrefix("/") else {
            throw CheckFailed("module path \(path) is not a path inside the kernel tree")
        }
        let parent = parts.dropLast().joined(separator: "/")
        // The parent directory's Makefile names the directory or object…
        if let symbol = try firstSymbol(in: parent, building: [leaf + "/", leaf + ".o"]) { return symbol }
        // …or includes the directory unconditionally, and its own Makefile names the module.
        if let symbol = try firstSymbol(in: path, building: [leaf + ".o"]) { return symbol }
        throw CheckFailed("no Kbuild Makefile in the kernel tree builds \(path) under a CONFIG_ symbol")
    }

    private func firstSymbol(in directory: String, building targets: [String]) throws -> String? {
        for name in ["Makefile", "Kbuild"] {
            let file = tree.appendingPathComponent(directory).appendingPathComponent(name)
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for line in Self.logicalLines(text) {
                if let symbol = Self.symbol(in: line, building: targets) { return symbol }
            }
        }
        return nil
    }

    /// Makefile lines with their backslash continuations joined.
    static func logicalLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw.hasSuffix("\\") {
                current += raw.dropLast() + " "
            } else {
                lines.append(current + raw)
                current = ""
            }
        }
        return lines
    }

    /// `SYMBOL` from `obj-$(CONFIG_SYMBOL) += … target …`, when the line builds one of `targets`.
    static func symbol(in line: String, building targets: [String]) -> String? {
        guard let (symbol, built) = assignment(in: line), built.contains(where: targets.contains) else { return nil }
        return symbol
    }

    /// The symbol and the words it builds, from `obj-$(CONFIG_SYMBOL) += a.o b/` (or `:=`).
    static func assignment(in line: String) -> (symbol: String, built: [String])? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("obj-$(CONFIG_"), let close = trimmed.firstIndex(of: ")"),
              let assignment = trimmed.range(of: "+=") ?? trimmed.range(of: ":=") else { return nil }
        let symbol = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: "obj-$(CONFIG_".count)..<close])
        guard KconfigAssignment.isSymbol(symbol) else { return nil }
        return (symbol, trimmed[assignment.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))
    }
}
